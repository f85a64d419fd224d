package output

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

// Problem is a key that the tree formats could not hold as given. It names
// the key, never a value, so it can be logged as is.
type Problem struct {
	// Key is the configuration key as its entry spelled it.
	Key string
	// Reason says what happened to the key and why.
	Reason string
}

// String formats "key: reason".
func (p Problem) String() string { return strconv.Quote(p.Key) + ": " + p.Reason }

// Node is one segment of the configuration tree that json, yaml and the
// template's .Tree are written from. A node is a leaf (a value), an array
// (children exactly "0".."n-1", in index order) or an object (children in
// the order their first key appeared). The root is always an object, because
// the .NET JSON provider requires a top-level object.
type Node struct {
	name     string
	key      string        // the full key of the entry that set value, for problems
	origin   source.Origin // the origin of that entry
	value    secret.Value
	leaf     bool
	array    bool
	children []*Node
	byFold   map[string]*Node // folded segment → child
}

// Name is the segment as the first key that used it spelled it.
func (n *Node) Name() string { return n.name }

// IsLeaf reports whether the node holds a value (and no children).
func (n *Node) IsLeaf() bool { return n.leaf }

// IsArray reports whether the node's children are exactly "0".."n-1".
func (n *Node) IsArray() bool { return n.array }

// Value is the leaf's value, still wrapped; only encoders reveal it.
func (n *Node) Value() secret.Value { return n.value }

// Children are the node's children in output order.
func (n *Node) Children() []*Node { return n.children }

// BuildTree splits each key on ':' into a tree, in the order of entries.
//
//   - Segments match case-insensitively and the first spelling wins, because
//     the .NET JSON provider rejects keys that differ only by case.
//   - A node whose children are exactly "0".."n-1" (canonical decimals, any
//     order) becomes an array; otherwise its children are object members
//     ("0","2" stays an object), so .NET reads back the same keys.
//   - A key that has a value and also children ("A"="x", "A:B"="y") cannot
//     be written to JSON or YAML. The merge's precedence decides, applied
//     here: a value of higher precedence than every key under it (Key
//     Vault's Db:Password over Fig's Db:Password:x) is kept and the keys
//     under it are left out; otherwise the children are kept and the value
//     is left out. A Problem names what was left out.
//   - A key set twice keeps the later value (merge never produces this), and
//     an empty key is left out; both are reported.
func BuildTree(entries []source.Entry) (*Node, []Problem) {
	root := &Node{}
	var problems []Problem
	for _, e := range entries {
		if e.Key == "" {
			problems = append(problems, Problem{Key: e.Key, Reason: "empty key, left out"})
			continue
		}
		n := root
		for seg := range strings.SplitSeq(e.Key, ":") {
			n = n.child(seg)
		}
		if n.leaf {
			problems = append(problems, Problem{Key: e.Key, Reason: "set twice (keys compare case-insensitively); the later value is kept"})
		}
		n.leaf, n.value, n.key, n.origin = true, e.Value, e.Key, e.Origin
	}
	root.finish(&problems, true)
	return root, problems
}

// child returns the child named seg (case-insensitively), adding it if new.
func (n *Node) child(seg string) *Node {
	fold := strings.ToUpper(seg) // per-rune simple upper case, as .NET OrdinalIgnoreCase
	if c, ok := n.byFold[fold]; ok {
		return c
	}
	if n.byFold == nil {
		n.byFold = make(map[string]*Node)
	}
	c := &Node{name: seg}
	n.byFold[fold] = c
	n.children = append(n.children, c)
	return c
}

// finish resolves value-and-parent clashes bottom-up and turns index-named
// children into arrays. It returns the highest precedence of any value
// left in the subtree.
func (n *Node) finish(problems *[]Problem, root bool) int {
	below := 0
	for _, c := range n.children {
		below = max(below, c.finish(problems, false))
	}
	n.byFold = nil
	if len(n.children) == 0 {
		return n.origin.Precedence()
	}
	if n.leaf && n.origin.Precedence() > below {
		*problems = append(*problems, Problem{
			Key: n.key,
			Reason: fmt.Sprintf("from %s has child keys of lower precedence (%s); JSON and YAML cannot hold both, so the value is kept and the child keys are left out",
				n.origin, strings.Join(n.leafKeys(nil), ", ")),
		})
		n.children = nil
		return n.origin.Precedence()
	}
	if n.leaf {
		*problems = append(*problems, Problem{
			Key:    n.key,
			Reason: "has a value and also child keys; JSON and YAML cannot hold both, so the value is left out and the children are kept",
		})
		n.leaf, n.value = false, secret.Value{}
	}
	if !root && isIndexList(n.children) {
		n.array = true
		slices.SortFunc(n.children, func(a, b *Node) int { return arrayIndex(a.name) - arrayIndex(b.name) })
	}
	return below
}

// leafKeys appends the keys of the values under n's children.
func (n *Node) leafKeys(keys []string) []string {
	for _, c := range n.children {
		if c.leaf {
			keys = append(keys, strconv.Quote(c.key))
		}
		keys = c.leafKeys(keys)
	}
	return keys
}

// isIndexList reports whether the names are exactly "0".."len-1".
func isIndexList(children []*Node) bool {
	seen := make([]bool, len(children))
	for _, c := range children {
		i := arrayIndex(c.name)
		if i < 0 || i >= len(children) || seen[i] {
			return false
		}
		seen[i] = true
	}
	return true
}

// arrayIndex returns the index a canonical decimal name ("0", "17", not
// "07" or "+1") stands for, or -1.
func arrayIndex(name string) int {
	if name == "" || len(name) > 9 || (name[0] == '0' && len(name) > 1) {
		return -1
	}
	i := 0
	for _, c := range []byte(name) {
		if c < '0' || c > '9' {
			return -1
		}
		i = i*10 + int(c-'0')
	}
	return i
}
