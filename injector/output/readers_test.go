package output_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/fig-injector/fig-injector/injector/source"
	"sigs.k8s.io/yaml"
)

// pair is a key and a value as a reader read them back.
type pair struct{ Key, Value string }

// readEnv parses the env format the way a POSIX shell reads the subset the
// encoder writes: NAME=, then bare text, '…' parts and "…" parts without
// escapes, up to a newline outside quotes.
func readEnv(data string) ([]pair, error) {
	var out []pair
	for i := 0; i < len(data); {
		eq := strings.IndexByte(data[i:], '=')
		if eq < 0 {
			return nil, fmt.Errorf("offset %d: no '='", i)
		}
		name := data[i : i+eq]
		i += eq + 1
		var v strings.Builder
	value:
		for {
			if i >= len(data) {
				return nil, fmt.Errorf("%s: no newline at end", name)
			}
			switch c := data[i]; c {
			case '\n':
				i++
				break value
			case '\'', '"':
				end := strings.IndexByte(data[i+1:], c)
				if end < 0 {
					return nil, fmt.Errorf("%s: unterminated %c", name, c)
				}
				part := data[i+1 : i+1+end]
				if c == '"' && part != "'" {
					return nil, fmt.Errorf("%s: unexpected double-quoted part %q", name, part)
				}
				v.WriteString(part)
				i += end + 2
			default:
				if strings.IndexByte(" \t\\$`;&|<>*?~#!(){}[]", c) >= 0 {
					return nil, fmt.Errorf("%s: unquoted %q", name, c)
				}
				v.WriteByte(c)
				i++
			}
		}
		out = append(out, pair{name, v.String()})
	}
	return out, nil
}

// readProperties parses the subset of java.util.Properties.load that the
// encoder writes: one line per pair, key up to the first unescaped '=' or
// ':' or whitespace, escapes \t \n \r \f \uXXXX (surrogate pairs joined) and
// \c for any other c.
func readProperties(data string) ([]pair, error) {
	var out []pair
	for line := range strings.SplitSeq(strings.TrimSuffix(data, "\n"), "\n") {
		if data == "" {
			break
		}
		key, rest, err := unescapeProperty(line, true)
		if err != nil {
			return nil, err
		}
		rest = strings.TrimLeft(rest, " \t\f")
		if rest != "" && (rest[0] == '=' || rest[0] == ':') {
			rest = rest[1:]
		}
		rest = strings.TrimLeft(rest, " \t\f")
		value, _, err := unescapeProperty(rest, false)
		if err != nil {
			return nil, err
		}
		out = append(out, pair{key, value})
	}
	return out, nil
}

// unescapeProperty reads s up to the key terminator (key true) or the end,
// and returns the text and what follows.
func unescapeProperty(s string, key bool) (string, string, error) {
	var units []uint16
	add := func(r rune) {
		if r > 0xffff {
			hi, lo := utf16.EncodeRune(r)
			units = append(units, uint16(hi), uint16(lo))
			return
		}
		units = append(units, uint16(r))
	}
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if key && (r == '=' || r == ':' || r == ' ' || r == '\t' || r == '\f') {
			break
		}
		if r != '\\' {
			add(r)
			i += size
			continue
		}
		if i+1 >= len(s) {
			return "", "", fmt.Errorf("line ends in a backslash: %q", s)
		}
		switch c := s[i+1]; c {
		case 't', 'n', 'r', 'f':
			add(rune(map[byte]byte{'t': '\t', 'n': '\n', 'r': '\r', 'f': '\f'}[c]))
			i += 2
		case 'u':
			if i+6 > len(s) {
				return "", "", fmt.Errorf("short \\u escape in %q", s)
			}
			u, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
			if err != nil {
				return "", "", fmt.Errorf("bad \\u escape in %q", s)
			}
			units = append(units, uint16(u))
			i += 6
		default:
			add(rune(c))
			i += 2
		}
	}
	return string(utf16.Decode(units)), s[i:], nil
}

// flattenJSON reads JSON as the .NET JSON configuration provider does:
// object members join with ':', array items are keyed by index, leaves are
// the value. The result is in no particular order.
func flattenJSON(data []byte) ([]source.Entry, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	var out []source.Entry
	var walk func(prefix string, v any) error
	walk = func(prefix string, v any) error {
		join := func(k string) string {
			if prefix == "" {
				return k
			}
			return prefix + ":" + k
		}
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if err := walk(join(k), c); err != nil {
					return err
				}
			}
		case []any:
			for i, c := range v {
				if err := walk(join(strconv.Itoa(i)), c); err != nil {
					return err
				}
			}
		case string:
			out = append(out, e(prefix, v))
		default:
			return fmt.Errorf("%s: leaf of type %T, want string", prefix, v)
		}
		return nil
	}
	return out, walk("", v)
}

// flattenYAML reads YAML with sigs.k8s.io/yaml (YAML 1.1 rules, the
// strictest about retyping) and flattens it like JSON.
func flattenYAML(data []byte) ([]source.Entry, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	return flattenJSON(js)
}

// pairsToEntries turns read-back pairs into entries, mapping names to keys.
func pairsToEntries(ps []pair, sep string) []source.Entry {
	out := make([]source.Entry, 0, len(ps))
	for _, p := range ps {
		out = append(out, e(strings.ReplaceAll(p.Key, sep, ":"), p.Value))
	}
	return out
}

// revealAll returns the entries as sorted pairs, values revealed.
func revealAll(es []source.Entry) []pair {
	out := make([]pair, 0, len(es))
	for _, x := range es {
		out = append(out, pair{x.Key, x.Value.Reveal()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
