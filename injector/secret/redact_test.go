package secret_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/secret"
)

// Secrets that encoders change: a PEM key (newlines), a JSON blob (quotes),
// a Windows path (backslashes) and a connection string (=, ;, spaces).
var awkward = map[string]string{
	"pem":  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n",
	"json": `{"user":"orders","password":"p\"w\\d<&>"}`,
	"path": `C:\secrets\orders key.txt`,
	"conn": "Server=db;User Id=orders;Password=dev only pass;",
}

// encodings are the ways error text carries a value, written independently
// of secret.Forms so that the test does not check the code against itself.
var encodings = map[string]func(string) string{
	"raw":        func(s string) string { return s },
	"%q":         func(s string) string { return fmt.Sprintf("%q", s) },
	"%+q":        func(s string) string { return fmt.Sprintf("%+q", s) },
	"json":       func(s string) string { b, _ := json.Marshal(s); return string(b) },
	"query":      url.QueryEscape,
	"path":       url.PathEscape,
	"one line":   func(s string) string { return strings.Join(strings.Fields(s), " ") },
	"%q of %q":   func(s string) string { return fmt.Sprintf("%q", fmt.Sprintf("%q", s)) },
	"json of %q": func(s string) string { b, _ := json.Marshal(strconv.Quote(s)); return string(b) },
}

func TestRedactBlanksEveryEncodedForm(t *testing.T) {
	r := secret.NewRedactor()
	values := []secret.Value{}
	for _, s := range awkward {
		values = append(values, secret.New(s))
	}
	r.Remember("values", values...)
	for name, s := range awkward {
		for enc, f := range encodings {
			t.Run(name+"/"+enc, func(t *testing.T) {
				got := r.Redact("template: out:1:3: executing: map has no entry for key " + f(s) + " (end)")
				if strings.Contains(got, strings.TrimSpace(s)) || strings.Contains(got, f(s)) {
					t.Errorf("a form of the secret survives: %s", got)
				}
				if !strings.Contains(got, secret.Redacted) || !strings.HasPrefix(got, "template: out:1:3:") || !strings.HasSuffix(got, "(end)") {
					t.Errorf("redacted text %q lost its context", got)
				}
			})
		}
	}
	t.Run("one line of a PEM key", func(t *testing.T) {
		line := strings.Split(awkward["pem"], "\n")[1]
		if got := r.Redact("bad base64 in " + line); strings.Contains(got, line) {
			t.Errorf("the key's line survives: %s", got)
		}
	})
}

func TestRememberReplacesASet(t *testing.T) {
	r := secret.NewRedactor()
	r.Remember("values", secret.New("old-secret-value"))
	r.Remember("values", secret.New("new-secret-value"))
	r.Remember("other", secret.New("abc"), secret.New("other-secret"))
	got := r.Redact("old-secret-value new-secret-value other-secret abc")
	if want := "old-secret-value [REDACTED] [REDACTED] abc"; got != want {
		t.Errorf("Redact = %q, want %q (a set is replaced; values shorter than %d stay)", got, want, secret.MinRedactLen)
	}
}

func TestRedactorError(t *testing.T) {
	r := secret.NewRedactor()
	r.Remember("values", secret.New("s3cr3t-value"))
	plain := errors.New("nothing to hide")
	if got := r.Error(plain); got != plain {
		t.Errorf("Error changed an error without secrets: %v", got)
	}
	leaky := fmt.Errorf("wrapped: %w", errors.New(`key "s3cr3t-value"`))
	got := r.Error(leaky)
	if strings.Contains(got.Error(), "s3cr3t-value") || errors.Unwrap(got) != nil {
		t.Errorf("Error = %v (chain %v), want the text redacted and no chain", got, errors.Unwrap(got))
	}
	var nilRedactor *secret.Redactor
	if got := nilRedactor.Redact("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"); got != "Bearer [REDACTED]" {
		t.Errorf("nil Redactor: %q, want tokens blanked", got)
	}
}

func TestHandlerRedactsEveryLogLine(t *testing.T) {
	r := secret.NewRedactor()
	const s = "line one\n\"two\"\\three"
	r.Remember("values", secret.New(s))
	var buf bytes.Buffer
	log := slog.New(r.Handler(slog.NewJSONHandler(&buf, nil))).With("ctx", fmt.Sprintf("%q", s))
	log.WithGroup("g").Error("render failed: "+s, "error", errors.New("key "+strconv.Quote(s)), "text", s,
		slog.Group("nested", "v", url.QueryEscape(s)), "stringer", stringer(s), "n", 3)
	out := buf.String()
	for _, form := range []string{"line one", `\"two\"`, "three"} {
		if strings.Contains(out, form) {
			t.Errorf("log line carries %q: %s", form, out)
		}
	}
	if strings.Count(out, secret.Redacted) != 6 || !strings.Contains(out, `"n":3`) {
		t.Errorf("log line %s: want six placeholders and the number kept", out)
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

// FuzzRedact checks that no encoding of a remembered secret survives, for
// any secret and surrounding text.
func FuzzRedact(f *testing.F) {
	for _, s := range awkward {
		f.Add(s, "template: x:1: map has no entry for key ")
	}
	f.Add("\x00\xff\u2028abcd", "")
	f.Add("aaaa", "aaa")
	f.Fuzz(func(t *testing.T, s, prefix string) {
		if len(s) < secret.MinRedactLen || strings.ContainsAny(s, "[]") || strings.ContainsAny(prefix, "[]") {
			return // a secret overlapping the placeholder can be rebuilt from it
		}
		r := secret.NewRedactor()
		r.Remember("values", secret.New(s))
		for name, enc := range encodings {
			form := enc(s)
			if len(form) < secret.MinRedactLen || strings.Contains(prefix, form) {
				continue
			}
			if got := r.Redact(prefix + form); strings.Contains(got, form) {
				t.Errorf("%s form %q survives in %q", name, form, got)
			}
		}
	})
}

func TestRedactBlanksASecretCutShort(t *testing.T) {
	r := secret.NewRedactor()
	r.Remember("values", secret.New(awkward["pem"]))
	cut := url.QueryEscape(awkward["pem"])[:40]
	got := r.Redact("no such secret " + cut + "… (HTTP 400)")
	if strings.Contains(got, "BEGIN") || strings.Contains(got, "MIIE") || !strings.HasPrefix(got, "no such secret [REDACTED]") || !strings.HasSuffix(got, "[REDACTED]… (HTTP 400)") {
		t.Errorf("Redact = %q, want the cut secret blanked", got)
	}
}
