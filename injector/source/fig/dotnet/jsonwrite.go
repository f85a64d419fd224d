package dotnet

import (
	"strconv"
	"unicode/utf8"
)

// Writer builds JSON text member by member, so that property order,
// "$type" placement and number formats are exactly what Newtonsoft.Json
// writes for Fig.Client. encoding/json cannot do this: it sorts map keys,
// escapes <, > and &, and writes 30.0 as 30.
type Writer struct {
	b []byte
	// counts[i] is how many members or elements the i-th open container has.
	counts []int
	// afterKey is true between a member name and its value.
	afterKey bool
}

// Bytes is the JSON written so far.
func (w *Writer) Bytes() []byte { return w.b }

// Reset empties w for reuse, keeping its buffer: a caller that sizes many
// small documents in a row allocates once.
func (w *Writer) Reset() { *w = Writer{b: w.b[:0], counts: w.counts[:0]} }

// pre prepares for a value: after a member name nothing is needed; as an
// array element (or at the top) a comma may be.
func (w *Writer) pre() {
	if w.afterKey {
		w.afterKey = false
		return
	}
	if n := len(w.counts); n > 0 {
		if w.counts[n-1] > 0 {
			w.b = append(w.b, ',')
		}
		w.counts[n-1]++
	}
}

// Open starts an object; a non-empty typ becomes its first member, "$type",
// as Newtonsoft's TypeNameHandling.Objects writes it.
func (w *Writer) Open(typ string) {
	w.pre()
	w.b = append(w.b, '{')
	w.counts = append(w.counts, 0)
	if typ != "" {
		w.Key("$type")
		w.Str(typ)
	}
}

// Close ends the innermost object.
func (w *Writer) Close() {
	w.b = append(w.b, '}')
	w.counts = w.counts[:len(w.counts)-1]
}

// OpenArray starts an array (arrays never carry "$type").
func (w *Writer) OpenArray() {
	w.pre()
	w.b = append(w.b, '[')
	w.counts = append(w.counts, 0)
}

// CloseArray ends the innermost array.
func (w *Writer) CloseArray() {
	w.b = append(w.b, ']')
	w.counts = w.counts[:len(w.counts)-1]
}

// Key writes a member name; exactly one value must follow.
func (w *Writer) Key(k string) {
	n := len(w.counts) - 1
	if w.counts[n] > 0 {
		w.b = append(w.b, ',')
	}
	w.counts[n]++
	w.b = AppendString(w.b, k)
	w.b = append(w.b, ':')
	w.afterKey = true
}

// Str writes a string value.
func (w *Writer) Str(s string) {
	w.pre()
	w.b = AppendString(w.b, s)
}

// StrOrNull writes s, or null when s is empty: Go's zero string stands for
// .NET's null in the contracts this package writes.
func (w *Writer) StrOrNull(s string) {
	if s == "" {
		w.Null()
		return
	}
	w.Str(s)
}

// Null writes null.
func (w *Writer) Null() {
	w.pre()
	w.b = append(w.b, "null"...)
}

// Bool writes true or false.
func (w *Writer) Bool(v bool) {
	w.pre()
	w.b = strconv.AppendBool(w.b, v)
}

// Int writes a .NET int or long.
func (w *Writer) Int(n int64) {
	w.pre()
	w.b = strconv.AppendInt(w.b, n, 10)
}

// IntOrNull writes *p or null.
func (w *Writer) IntOrNull(p *int) {
	if p == nil {
		w.Null()
		return
	}
	w.Int(int64(*p))
}

// Double writes a .NET double as Newtonsoft does (30000.0, 1.5, 1E+20).
func (w *Writer) Double(f float64) {
	w.pre()
	w.b = append(w.b, NewtonsoftDouble(f)...)
}

// Raw writes JSON text that is already valid (null when empty).
func (w *Writer) Raw(r []byte) {
	w.pre()
	if len(r) == 0 {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, r...)
}

// Strings writes a list of strings, or null for a nil list.
func (w *Writer) Strings(list []string) {
	if list == nil {
		w.Null()
		return
	}
	w.OpenArray()
	for _, s := range list {
		w.Str(s)
	}
	w.CloseArray()
}

// EmptyArray writes [].
func (w *Writer) EmptyArray() {
	w.OpenArray()
	w.CloseArray()
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string escaped the way Newtonsoft's
// default StringEscapeHandling does: quote, backslash and control characters
// (short forms where JSON has them, else \u00xx in lower-case hex), plus
// U+0085, U+2028 and U+2029; everything else, '<', '>', '&' and non-ASCII
// included, is written as is. Invalid UTF-8 becomes U+FFFD, as it would in a
// .NET string.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				b = append(b, '\\', '"')
			case c == '\\':
				b = append(b, '\\', '\\')
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, "\ufffd"...)
		case r == 0x85 || r == 0x2028 || r == 0x2029:
			b = append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
