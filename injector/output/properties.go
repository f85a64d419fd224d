package output

import (
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/fig-injector/fig-injector/injector/source"
)

// encodeProperties writes one key=value line per entry, in Java .properties
// syntax, with the key's ':' separators turned into '.' (Spring's and
// Java's convention for nested keys; a '.' inside a segment is therefore
// ambiguous to the reader).
//
// Escaping follows java.util.Properties.store: '\\', '=', ':', '#' and '!'
// get a backslash; tab, newline, carriage return and form feed are \t \n \r
// \f; a space is "\ " everywhere in a key and at the start of a value. Every
// character outside printable ASCII (0x20-0x7E) is written \uXXXX, with
// UTF-16 surrogate pairs above U+FFFF, so the file is pure ASCII and reads
// the same through Properties.load(InputStream) (ISO-8859-1) and through a
// UTF-8 Reader. No comment or timestamp is written, so equal input gives
// equal bytes. Invalid UTF-8 becomes U+FFFD.
func encodeProperties(entries []source.Entry) []byte {
	var b []byte
	for _, e := range entries {
		b = appendProperty(b, propertyName(e.Key), true)
		b = append(b, '=')
		b = appendProperty(b, e.Value.Reveal(), false)
		b = append(b, '\n')
	}
	return b
}

// propertyName is the .properties key of a configuration key.
func propertyName(key string) string { return strings.ReplaceAll(key, ":", ".") }

// appendProperty appends s escaped as a .properties key (key true) or value.
func appendProperty(b []byte, s string, key bool) []byte {
	for i, r := range s {
		switch r {
		case '\\', '=', ':', '#', '!':
			b = append(b, '\\', byte(r))
		case ' ':
			if key || i == 0 {
				b = append(b, '\\')
			}
			b = append(b, ' ')
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			switch {
			case r >= 0x20 && r <= 0x7e:
				b = append(b, byte(r))
			case r > 0xffff:
				hi, lo := utf16.EncodeRune(r)
				b = fmt.Appendf(b, `\u%04X\u%04X`, hi, lo)
			default: // includes utf8.RuneError for invalid bytes
				b = fmt.Appendf(b, `\u%04X`, r)
			}
		}
	}
	return b
}
