package figapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// node is a parsed JSON value that keeps object member order, which
// Newtonsoft depends on ("$type" must come first) and data-grid rows keep.
type node struct {
	kind    byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	members []member
	items   []*node
	text    string // string contents or number literal
	b       bool
}

type member struct {
	key string
	val *node
}

// maxDepth is the nesting the API's JSON input formatter accepts.
const maxDepth = 64

// parseTree parses one JSON document.
func parseTree(data []byte) (*node, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	n, err := readNode(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("additional text after the JSON value")
	}
	return n, nil
}

func readNode(d *json.Decoder, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("JSON nested deeper than %d", maxDepth)
	}
	tok, err := d.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: 'o'}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := readNode(d, depth+1)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, member{key: k, val: v})
			}
			if _, err := d.Token(); err != nil {
				return nil, err
			}
			return n, nil
		case '[':
			n := &node{kind: 'a'}
			for d.More() {
				v, err := readNode(d, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			if _, err := d.Token(); err != nil {
				return nil, err
			}
			return n, nil
		}
		return nil, fmt.Errorf("unexpected %q", t)
	case string:
		return &node{kind: 's', text: t}, nil
	case json.Number:
		return &node{kind: 'n', text: t.String()}, nil
	case bool:
		return &node{kind: 'b', b: t}, nil
	case nil:
		return &node{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// get returns the member named k, matched as Newtonsoft matches property
// names: exactly first, then ignoring case. Nil when absent.
func (n *node) get(k string) *node {
	if n == nil || n.kind != 'o' {
		return nil
	}
	for _, m := range n.members {
		if m.key == k {
			return m.val
		}
	}
	for _, m := range n.members {
		if strings.EqualFold(m.key, k) {
			return m.val
		}
	}
	return nil
}

// isNull reports whether n is absent or JSON null.
func (n *node) isNull() bool { return n == nil || n.kind == 'z' }

// firstKey returns the first member's key, "" for an empty or non-object.
func (n *node) firstKey() string {
	if n == nil || n.kind != 'o' || len(n.members) == 0 {
		return ""
	}
	return n.members[0].key
}

// str returns a string member ("" when absent or null) and whether the
// member had the wrong type.
func (n *node) str(k string) (string, error) {
	v := n.get(k)
	if v.isNull() {
		return "", nil
	}
	if v.kind != 's' {
		return "", fmt.Errorf("%s: want a string", k)
	}
	return v.text, nil
}

// optStr is str for nullable strings.
func (n *node) optStr(k string) (*string, error) {
	v := n.get(k)
	if v.isNull() {
		return nil, nil
	}
	if v.kind != 's' {
		return nil, fmt.Errorf("%s: want a string", k)
	}
	s := v.text
	return &s, nil
}

// boolean returns a bool member, def when absent or null.
func (n *node) boolean(k string, def bool) (bool, error) {
	v := n.get(k)
	if v.isNull() {
		return def, nil
	}
	if v.kind != 'b' {
		return false, fmt.Errorf("%s: want true or false", k)
	}
	return v.b, nil
}

// strList returns an array of strings member (nil when absent or null).
func (n *node) strList(k string) ([]string, error) {
	v := n.get(k)
	if v.isNull() {
		return nil, nil
	}
	if v.kind != 'a' {
		return nil, fmt.Errorf("%s: want an array of strings", k)
	}
	out := make([]string, 0, len(v.items))
	for _, it := range v.items {
		if it.kind != 's' {
			return nil, fmt.Errorf("%s: want an array of strings", k)
		}
		out = append(out, it.text)
	}
	return out, nil
}

// canonical writes n with object keys lower-cased and sorted, null members
// and the listed keys (lower case) dropped, so two definitions that differ
// only in casing, member order or explicit nulls compare equal.
func (n *node) canonical(drop ...string) string {
	var b strings.Builder
	n.writeCanonical(&b, drop)
	return b.String()
}

func (n *node) writeCanonical(b *strings.Builder, drop []string) {
	switch n.kind {
	case 'o':
		keys := map[string]*node{}
		var order []string
	members:
		for _, m := range n.members {
			k := strings.ToLower(m.key)
			if m.val.isNull() {
				continue
			}
			for _, d := range drop {
				if k == d {
					continue members
				}
			}
			if _, dup := keys[k]; !dup {
				order = append(order, k)
			}
			keys[k] = m.val
		}
		slices.Sort(order)
		b.WriteByte('{')
		for i, k := range order {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			keys[k].writeCanonical(b, nil)
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			it.writeCanonical(b, nil)
		}
		b.WriteByte(']')
	case 's':
		sb, _ := json.Marshal(n.text)
		b.Write(sb)
	case 'n':
		b.WriteString(n.text)
	case 'b':
		if n.b {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	default:
		b.WriteString("null")
	}
}

// raw re-encodes n as compact JSON in its original order.
func (n *node) raw() []byte {
	var b strings.Builder
	n.writeRaw(&b)
	return []byte(b.String())
}

func (n *node) writeRaw(b *strings.Builder) {
	switch n.kind {
	case 'o':
		b.WriteByte('{')
		for i, m := range n.members {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(m.key)
			b.Write(kb)
			b.WriteByte(':')
			m.val.writeRaw(b)
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			it.writeRaw(b)
		}
		b.WriteByte(']')
	default:
		n.writeCanonical(b, nil)
	}
}
