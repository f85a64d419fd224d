package secret

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// MinRedactLen is the shortest secret text a Redactor blanks. Shorter
// values ("1", "on") would blank ordinary words all over every message
// while hiding almost nothing.
const MinRedactLen = 4

// minLineLen is the shortest line of a multi-line secret (a PEM key, a
// JSON blob) that is blanked on its own, so that a message quoting one line
// of it leaks nothing either.
const minLineLen = 16

// Redactor blanks the secrets the process knows, in every form error text
// can carry them, plus anything token-shaped (BlankTokens). It is the one
// place every outlet (logs, /healthz, /readyz, Fig's status) passes text
// through. A nil *Redactor blanks tokens only. It is safe for concurrent use.
type Redactor struct {
	mu       sync.Mutex
	sets     map[string][]string // named sets of secret texts
	replacer *strings.Replacer   // nil: rebuild from sets
	forms    []string            // every form of every secret, longest first
}

// NewRedactor returns a Redactor that knows no secret yet.
func NewRedactor() *Redactor { return &Redactor{sets: map[string][]string{}} }

// Remember replaces the set named set (e.g. "values", "fig client secret")
// with values. Sets let each owner replace its own secrets when they
// rotate, without the Redactor growing with every old value.
func (r *Redactor) Remember(set string, values ...Value) {
	texts := make([]string, 0, len(values))
	for _, v := range values {
		if len(v.s) >= MinRedactLen {
			texts = append(texts, v.s)
		}
	}
	slices.Sort(texts)
	texts = slices.Compact(texts)
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Equal(r.sets[set], texts) {
		return
	}
	r.sets[set] = texts
	r.replacer = nil
}

// Redact returns s with every known secret, in each encoded form, and every
// token shape replaced by Redacted.
func (r *Redactor) Redact(s string) string {
	if r != nil {
		replacer, forms := r.current()
		s = blankCut(replacer.Replace(s), forms)
	}
	return BlankTokens(s)
}

// Cut is how sources mark text they shortened (a service message bounded
// to a few hundred bytes).
const Cut = "…"

// minCutLen is the shortest start of a secret blanked before a Cut.
const minCutLen = 8

// blankCut blanks, before each Cut in s, text that is the start of a form:
// a message shortened by its source can end in part of a secret, which no
// whole form matches.
func blankCut(s string, forms []string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, Cut)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		head := s[:i]
		for _, f := range forms {
			if k := commonTail(head, f); k >= minCutLen {
				head = head[:len(head)-k] + Redacted
				break
			}
		}
		b.WriteString(head + Cut)
		s = s[i+len(Cut):]
	}
}

// commonTail is the length of the longest start of f that head ends with.
func commonTail(head, f string) int {
	for k := min(len(head), len(f)); k >= minCutLen; k-- {
		if strings.HasSuffix(head, f[:k]) {
			return k
		}
	}
	return 0
}

// Error returns err unchanged when its text needs no redaction, else an
// error with the redacted text and no chain: the chain would still hold the
// secret for anyone printing a wrapped error.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := r.Redact(msg); red != msg {
		return errors.New(red)
	}
	return err
}

// current returns the replacer and forms for the sets, building them when
// they changed.
func (r *Redactor) current() (*strings.Replacer, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.replacer != nil {
		return r.replacer, r.forms
	}
	var forms []string
	for _, texts := range r.sets {
		for _, t := range texts {
			forms = append(forms, Forms(t)...)
		}
	}
	// strings.Replacer prefers earlier pairs at a position: longest first,
	// so a secret containing another is blanked whole.
	slices.SortFunc(forms, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	forms = slices.Compact(forms)
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	r.replacer, r.forms = strings.NewReplacer(pairs...), forms
	return r.replacer, r.forms
}

// Forms returns the spellings of s that error text can carry: raw, Go-quoted
// (%q and %+q), JSON-escaped (with and without HTML escaping), URL-encoded
// (query and path), folded onto one line (whitespace runs or control
// characters turned into spaces, as one-line error formatting does), each
// of those quoted or JSON-escaped once more (an error quoted inside
// another), and each long line of a multi-line secret, raw and encoded.
func Forms(s string) []string {
	first := []string{
		s,
		unquote(strconv.Quote(s)),
		unquote(strconv.QuoteToASCII(s)),
		unquote(jsonString(s, true)),
		unquote(jsonString(s, false)),
		url.QueryEscape(s),
		url.PathEscape(s),
		strings.Join(strings.Fields(s), " "),
		strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s),
	}
	forms := slices.Clone(first)
	for _, f := range first {
		forms = append(forms, unquote(strconv.Quote(f)), unquote(jsonString(f, true)))
	}
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); len(line) >= minLineLen && line != s {
			forms = append(forms, line, unquote(strconv.Quote(line)), unquote(jsonString(line, true)), url.QueryEscape(line))
		}
	}
	slices.Sort(forms)
	forms = slices.Compact(forms)
	return slices.DeleteFunc(forms, func(f string) bool { return len(f) < MinRedactLen })
}

// jsonString is s as a JSON string literal.
func jsonString(s string, escapeHTML bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// unquote drops the surrounding quotes of a quoted literal.
func unquote(q string) string { return q[1 : len(q)-1] }
