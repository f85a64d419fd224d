package dotnet

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Leaf is one configuration value produced from a JSON setting.
type Leaf struct {
	// Path is the leaf's key below the setting: segments joined with ":".
	Path string
	// Text is the leaf's value as .NET configuration holds it.
	Text string
}

// maxJSONDepth is System.Text.Json's default JsonDocumentOptions.MaxDepth.
const maxJSONDepth = 64

// FlattenJSON turns the text of a JSON setting into configuration leaves
// the way Fig.Client's JsonValueParser does (System.Text.Json with comments
// skipped and trailing commas allowed, JsonConfigurationFileParser rules):
// object members join with ":", array items use their index, strings are
// unescaped, numbers keep their raw text, true/false become "True"/"False"
// and null becomes "". Empty objects and arrays yield nothing. The root must
// be an object or an array; a duplicate key (case-insensitive) or an empty
// top-level key is an error, as it is in .NET. Leaves come sorted as
// JsonValueParser's SortedDictionary(StringComparer.OrdinalIgnoreCase)
// keeps them (src/client/Fig.Client/Parsers/JsonValueParser.cs), so a file
// diffed against a .NET app's configuration lines up.
func FlattenJSON(text string) ([]Leaf, error) {
	p := &jsonParser{s: text}
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '{' && p.s[p.i] != '[') {
		return nil, errors.New("the JSON root must be an object or an array")
	}
	var out []Leaf
	seen := map[string]bool{}
	emit := func(path []string, text string) error {
		key := strings.Join(path, ":")
		if key == "" {
			return errors.New("the JSON has an empty key at the top level")
		}
		low := strings.ToLower(key)
		if seen[low] {
			return fmt.Errorf("the JSON has the key %q twice (keys are case-insensitive)", key)
		}
		seen[low] = true
		out = append(out, Leaf{Path: key, Text: text})
		return nil
	}
	if err := p.value(nil, 0, emit); err != nil {
		return nil, err
	}
	p.skip()
	if p.i != len(p.s) {
		return nil, p.errorf("unexpected text after the JSON value")
	}
	slices.SortFunc(out, func(a, b Leaf) int { return compareOrdinalIgnoreCase(a.Path, b.Path) })
	return out, nil
}

// compareOrdinalIgnoreCase is .NET's StringComparer.OrdinalIgnoreCase: the
// UTF-16 code units compared after upper-casing each, so "_" sorts after
// letters and "a10" before "a2".
func compareOrdinalIgnoreCase(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		x, y := upperUnit(ua[i]), upperUnit(ub[i])
		if x != y {
			return int(x) - int(y)
		}
	}
	return len(ua) - len(ub)
}

// upperUnit upper-cases one UTF-16 code unit (surrogates stay as they are).
func upperUnit(u uint16) uint16 {
	if utf16.IsSurrogate(rune(u)) {
		return u
	}
	if up := unicode.ToUpper(rune(u)); up <= 0xFFFF {
		return uint16(up)
	}
	return u
}

type jsonParser struct {
	s string
	i int
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

// skip passes whitespace and comments (JsonCommentHandling.Skip).
func (p *jsonParser) skip() {
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.i++
		case c == '/' && p.i+1 < len(p.s) && p.s[p.i+1] == '/':
			end := strings.IndexAny(p.s[p.i:], "\n\r")
			if end < 0 {
				p.i = len(p.s)
			} else {
				p.i += end
			}
		case c == '/' && p.i+1 < len(p.s) && p.s[p.i+1] == '*':
			end := strings.Index(p.s[p.i+2:], "*/")
			if end < 0 {
				p.i = len(p.s) + 1 // unterminated: force an error
				return
			}
			p.i += end + 4
		default:
			return
		}
	}
}

func (p *jsonParser) value(path []string, depth int, emit func([]string, string) error) error {
	p.skip()
	if p.i >= len(p.s) {
		return p.errorf("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return p.errorf("nested deeper than %d levels", maxJSONDepth)
		}
		return p.container(path, depth+1, emit)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		return emit(path, s)
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range [...]struct{ word, text string }{{"true", "True"}, {"false", "False"}, {"null", ""}} {
			if strings.HasPrefix(p.s[p.i:], lit.word) {
				p.i += len(lit.word)
				return emit(path, lit.text)
			}
		}
		return p.errorf("unknown literal")
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		if !p.number() {
			return p.errorf("invalid number")
		}
		return emit(path, p.s[start:p.i])
	}
	return p.errorf("unexpected character %q", p.s[p.i])
}

func (p *jsonParser) container(path []string, depth int, emit func([]string, string) error) error {
	isObject := p.s[p.i] == '{'
	closer := byte(']')
	if isObject {
		closer = '}'
	}
	p.i++
	index := 0
	for {
		p.skip()
		if p.i >= len(p.s) {
			return p.errorf("unexpected end")
		}
		if p.s[p.i] == closer { // also after a trailing comma (AllowTrailingCommas)
			p.i++
			return nil
		}
		var seg string
		if isObject {
			if p.s[p.i] != '"' {
				return p.errorf("expected a property name")
			}
			name, err := p.str()
			if err != nil {
				return err
			}
			p.skip()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return p.errorf("expected ':'")
			}
			p.i++
			seg = name
		} else {
			seg = strconv.Itoa(index)
		}
		index++
		child := append(path[:len(path):len(path)], seg)
		if err := p.value(child, depth, emit); err != nil {
			return err
		}
		p.skip()
		if p.i >= len(p.s) {
			return p.errorf("unexpected end")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case closer:
			p.i++
			return nil
		default:
			return p.errorf("expected ',' or '%c'", closer)
		}
	}
}

// number consumes a JSON number (RFC 8259 grammar).
func (p *jsonParser) number() bool {
	s, i := p.s, p.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	p.i = i
	return true
}

// str consumes a JSON string and returns its unescaped text.
func (p *jsonParser) str() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for {
		if p.i >= len(p.s) {
			return "", p.errorf("unterminated string")
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c < 0x20:
			return "", p.errorf("control character in string")
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", p.errorf("unterminated escape")
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.errorf("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := utf8.RuneError
					if strings.HasPrefix(p.s[p.i:], `\u`) {
						p.i += 2
						if lo, ok := p.hex4(); ok {
							r2 = utf16.DecodeRune(r, lo)
						}
					}
					r = r2
				}
				b.WriteRune(r)
			default:
				return "", p.errorf("invalid escape")
			}
		default:
			r, size := utf8.DecodeRuneInString(p.s[p.i:])
			if r == utf8.RuneError && size == 1 {
				return "", p.errorf("invalid UTF-8")
			}
			b.WriteString(p.s[p.i : p.i+size])
			p.i += size
		}
	}
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}
