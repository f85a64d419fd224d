package output

import "unicode/utf8"

// encodeJSON writes the tree as indented JSON (2 spaces, trailing newline),
// every leaf a string, members in tree order. It is hand-written rather than
// encoding/json so that member order follows the sorted entries instead of
// Go's map order, and so that no value passes through a general-purpose
// marshaller that might log or panic with it.
func encodeJSON(root *Node) []byte {
	b := appendJSON(nil, root, 0)
	return append(b, '\n')
}

func appendJSON(b []byte, n *Node, depth int) []byte {
	if n.leaf {
		return appendJSONString(b, n.value.Reveal())
	}
	open, closing := byte('{'), byte('}')
	if n.array {
		open, closing = '[', ']'
	}
	if len(n.children) == 0 {
		return append(b, open, closing)
	}
	b = append(b, open, '\n')
	for i, c := range n.children {
		b = appendIndent(b, depth+1)
		if !n.array {
			b = appendJSONString(b, c.name)
			b = append(b, ": "...)
		}
		b = appendJSON(b, c, depth+1)
		if i < len(n.children)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = appendIndent(b, depth)
	return append(b, closing)
}

func appendIndent(b []byte, depth int) []byte {
	for range depth {
		b = append(b, "  "...)
	}
	return b
}

// appendJSONString appends s as a JSON string. It escapes what JSON requires
// ('"', '\\', controls) plus U+2028 and U+2029 (line terminators in
// JavaScript), and writes everything else, including '<', '>' and '&', as
// is. Invalid UTF-8 becomes U+FFFD, as with encoding/json.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c == '\t':
				b = append(b, `\t`...)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028':
			b = append(b, `\u2028`...)
		case r == '\u2029':
			b = append(b, `\u2029`...)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
