package dotnet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// errMalformedObject is ReadObject's error for text that is not a JSON object.
var errMalformedObject = errors.New("malformed JSON object")

// ReadArray splits a JSON array into its items, which alias raw. A JSON
// null gives (nil, true, nil). Like ReadObject, it expects valid JSON and
// fails, never panics, on anything else.
func ReadArray(raw []byte) (items []json.RawMessage, isNull bool, err error) {
	i := skipSpace(raw, 0)
	if i < len(raw) && raw[i] == 'n' {
		return nil, true, nil
	}
	if i >= len(raw) || raw[i] != '[' {
		return nil, false, fmt.Errorf("expected a JSON array, found %s", JSONKind(raw[min(i, len(raw)):]))
	}
	items = []json.RawMessage{}
	for i = skipSpace(raw, i+1); i < len(raw) && raw[i] != ']'; {
		end := skipValue(raw, i)
		if end < 0 {
			return nil, false, errors.New("malformed JSON array")
		}
		items = append(items, raw[i:end])
		i = skipSpace(raw, end)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		} else if i < len(raw) && raw[i] != ']' {
			return nil, false, errors.New("malformed JSON array")
		}
	}
	if i >= len(raw) {
		return nil, false, errors.New("malformed JSON array")
	}
	return items, false, nil
}

// Member is one "name": value pair of a JSON object, in document order.
type Member struct {
	// Key is the member's name, unescaped.
	Key string
	// Raw is the member's value, aliasing the object's text.
	Raw json.RawMessage
}

// ReadObject splits a JSON object into its members in document order. A
// JSON null gives (nil, true, nil). raw must already be valid JSON (it
// always comes from encoding/json, which validates); malformed input gives
// an error, never a panic.
func ReadObject(raw []byte) (members []Member, isNull bool, err error) {
	i := skipSpace(raw, 0)
	if i >= len(raw) {
		return nil, false, errors.New("expected a JSON object, found nothing")
	}
	if raw[i] == 'n' {
		return nil, true, nil
	}
	if raw[i] != '{' {
		return nil, false, fmt.Errorf("expected a JSON object, found %s", JSONKind(raw[i:]))
	}
	bad := errMalformedObject
	members = make([]Member, 0, 4) // Fig's objects have three or four members
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return nil, false, nil
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return nil, false, bad
		}
		end := skipString(raw, i)
		if end < 0 {
			return nil, false, bad
		}
		key, ok := Unquote(raw[i:end])
		if !ok {
			return nil, false, bad
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return nil, false, bad
		}
		i = skipSpace(raw, i+1)
		vend := skipValue(raw, i)
		if vend < 0 {
			return nil, false, bad
		}
		members = append(members, Member{Key: key, Raw: raw[i:vend]})
		i = skipSpace(raw, vend)
		if i >= len(raw) {
			return nil, false, bad
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return members, false, nil
		default:
			return nil, false, bad
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] ('"'),
// or -1.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index after the JSON value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j)
				if j < 0 {
					return -1
				}
				j--
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[j])) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// Lookup finds a property the way Newtonsoft binds JSON to a .NET property:
// names match case-insensitively (so camelCase API 4.x and PascalCase both
// bind) and when several members bind, the last one in the document wins.
func Lookup(members []Member, name string) (json.RawMessage, bool) {
	var found json.RawMessage
	ok := false
	for _, m := range members {
		if strings.EqualFold(m.Key, name) {
			found, ok = m.Raw, true
		}
	}
	return found, ok
}

// JSONKind names the kind of a JSON value for error messages without
// quoting it (values may be secrets).
func JSONKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// IsNull reports whether raw is JSON null or nothing at all, both of which
// Newtonsoft binds as null.
func IsNull(raw []byte) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// Unquote is the text of a JSON string; ok is false for anything else.
// A valid UTF-8 string without escapes is read without encoding/json
// (which would replace invalid UTF-8 with U+FFFD).
func Unquote(raw []byte) (text string, ok bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if inner := raw[1 : len(raw)-1]; raw[len(raw)-1] == '"' && bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	return text, json.Unmarshal(raw, &text) == nil
}
