package output

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// encodeYAML writes the tree as block YAML, 2-space indent, members in tree
// order. Every leaf is a double-quoted string, so no reader (YAML 1.1 or
// 1.2) retypes "True", "0.5", "on", "0x1F" or "~". Keys are written plain
// only when they are plain in every YAML version (see yamlPlainKey), so the
// sparse index key "2" stays the string "2".
//
//	A:
//	  B: "x"
//	List:
//	  - "a"
//	  - Name: "n"
//	    Port: "80"
//	  - - "nested"
func encodeYAML(root *Node) []byte {
	if len(root.children) == 0 {
		return []byte("{}\n")
	}
	return appendYAMLBlock(nil, root, 0, false)
}

// appendYAMLBlock writes n's children, one per line at indent spaces. With
// inline, the first line's indentation is already written (after "- ").
func appendYAMLBlock(b []byte, n *Node, indent int, inline bool) []byte {
	for i, c := range n.children {
		if i > 0 || !inline {
			b = append(b, strings.Repeat(" ", indent)...)
		}
		if n.array {
			b = append(b, '-')
		} else {
			b = appendYAMLKey(b, c.name)
			b = append(b, ':')
		}
		switch {
		case c.leaf:
			b = append(b, ' ')
			b = appendYAMLString(b, c.value.Reveal())
			b = append(b, '\n')
		case n.array:
			b = append(b, ' ')
			b = appendYAMLBlock(b, c, indent+2, true)
		default:
			b = append(b, '\n')
			b = appendYAMLBlock(b, c, indent+2, false)
		}
	}
	return b
}

// yamlReserved reports whether a plain scalar would be read by some YAML
// version as something other than a string (YAML 1.1 booleans and null).
func yamlReserved(k string) bool {
	switch strings.ToLower(k) {
	case "y", "yes", "n", "no", "true", "false", "on", "off", "null":
		return true
	}
	return false
}

// yamlPlainKey reports whether k can be written unquoted: a letter or '_'
// followed by letters, digits, '_' or '-', and not a reserved word.
func yamlPlainKey(k string) bool {
	if k == "" || yamlReserved(k) {
		return false
	}
	for i, c := range []byte(k) {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-')) {
			return false
		}
	}
	return true
}

func appendYAMLKey(b []byte, k string) []byte {
	if yamlPlainKey(k) {
		return append(b, k...)
	}
	return appendYAMLString(b, k)
}

// appendYAMLString appends s as a YAML double-quoted scalar. It escapes '"',
// '\\', every C0 and C1 control, DEL, the characters YAML treats as line
// breaks or BOM (U+0085, U+2028, U+2029, U+FEFF) and the non-characters
// U+FFFE and U+FFFF, which YAML streams may not contain. Invalid UTF-8
// becomes U+FFFD, as in JSON.
func appendYAMLString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r < 0x20 || r >= 0x7f && r <= 0x9f:
			b = fmt.Appendf(b, `\x%02x`, r)
		case r == '\u2028' || r == '\u2029' || r == '\ufeff' || r == '\ufffe' || r == '\uffff':
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
