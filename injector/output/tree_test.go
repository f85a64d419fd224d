package output_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/source"
)

// dump renders a tree through its exported methods: objects as
// [][2]any{name, child} (ordered), arrays as []any, leaves as strings.
func dump(n *output.Node) any {
	switch {
	case n.IsLeaf():
		return n.Value().Reveal()
	case n.IsArray():
		out := []any{}
		for _, c := range n.Children() {
			out = append(out, dump(c))
		}
		return out
	}
	out := [][2]any{}
	for _, c := range n.Children() {
		out = append(out, [2]any{c.Name(), dump(c)})
	}
	return out
}

type obj = [][2]any

func TestBuildTree(t *testing.T) {
	clash := func(key string) output.Problem {
		return output.Problem{Key: key, Reason: "has a value and also child keys; JSON and YAML cannot hold both, so the value is left out and the children are kept"}
	}
	tests := []struct {
		name     string
		entries  []source.Entry
		want     any
		problems []output.Problem
	}{
		{
			name: "empty",
			want: obj{},
		},
		{
			name:    "nested objects keep entry order",
			entries: []source.Entry{e("B:y", "1"), e("A:x", "2"), e("B:a", "3")},
			want:    obj{{"B", obj{{"y", "1"}, {"a", "3"}}}, {"A", obj{{"x", "2"}}}},
		},
		{
			name:    "0..n-1 becomes an array in index order",
			entries: []source.Entry{e("L:1", "b"), e("L:10", "k"), e("L:0", "a"), e("L:2", "c"), e("L:3", "d"), e("L:4", "e"), e("L:5", "f"), e("L:6", "g"), e("L:7", "h"), e("L:8", "i"), e("L:9", "j")},
			want:    obj{{"L", []any{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}}},
		},
		{
			name:    "sparse indexes stay an object",
			entries: []source.Entry{e("L:0", "a"), e("L:2", "c")},
			want:    obj{{"L", obj{{"0", "a"}, {"2", "c"}}}},
		},
		{
			name:    "non-canonical index stays an object",
			entries: []source.Entry{e("L:0", "a"), e("L:01", "b")},
			want:    obj{{"L", obj{{"0", "a"}, {"01", "b"}}}},
		},
		{
			name:    "an index list mixed with a name stays an object",
			entries: []source.Entry{e("L:0", "a"), e("L:x", "b")},
			want:    obj{{"L", obj{{"0", "a"}, {"x", "b"}}}},
		},
		{
			name:    "nested arrays and arrays of objects",
			entries: []source.Entry{e("G:0:N", "n0"), e("G:0:T:0", "t"), e("G:1:0", "x")},
			want:    obj{{"G", []any{obj{{"N", "n0"}, {"T", []any{"t"}}}, []any{"x"}}}},
		},
		{
			name:    "root is never an array",
			entries: []source.Entry{e("0", "a"), e("1", "b")},
			want:    obj{{"0", "a"}, {"1", "b"}},
		},
		{
			name:    "segments match case-insensitively, first spelling wins",
			entries: []source.Entry{e("Logging:Level", "1"), e("LOGGING:other", "2"), e("logging:LEVEL2", "3")},
			want:    obj{{"Logging", obj{{"Level", "1"}, {"other", "2"}, {"LEVEL2", "3"}}}},
		},
		{
			name:     "value then parent: children kept, value dropped, key named",
			entries:  []source.Entry{e("A", "x"), e("A:B", "y")},
			want:     obj{{"A", obj{{"B", "y"}}}},
			problems: []output.Problem{clash("A")},
		},
		{
			name:     "parent then value: same result",
			entries:  []source.Entry{e("A:B", "y"), e("a", "x")},
			want:     obj{{"A", obj{{"B", "y"}}}},
			problems: []output.Problem{clash("a")},
		},
		{
			name:     "clash deep inside an array element",
			entries:  []source.Entry{e("L:0", "x"), e("L:0:N", "y"), e("L:1", "z")},
			want:     obj{{"L", []any{obj{{"N", "y"}}, "z"}}},
			problems: []output.Problem{clash("L:0")},
		},
		{
			name:     "key set twice: later value kept, reported",
			entries:  []source.Entry{e("A", "1"), e("a", "2")},
			want:     obj{{"A", "2"}},
			problems: []output.Problem{{Key: "a", Reason: "set twice (keys compare case-insensitively); the later value is kept"}},
		},
		{
			name:     "empty key is left out",
			entries:  []source.Entry{e("", "x"), e("A", "1")},
			want:     obj{{"A", "1"}},
			problems: []output.Problem{{Key: "", Reason: "empty key, left out"}},
		},
		{
			name:    "empty segments are kept as empty names",
			entries: []source.Entry{e("A::B", "1")},
			want:    obj{{"A", obj{{"", obj{{"B", "1"}}}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, problems := output.BuildTree(tt.entries)
			if diff := cmp.Diff(tt.want, dump(root)); diff != "" {
				t.Errorf("tree mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.problems, problems); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProblemsNameNoValue: a problem is logged as is, so it must not carry
// the value that was dropped.
func TestProblemsNameNoValue(t *testing.T) {
	const v = "hunter2-dropped-value"
	_, problems := output.BuildTree([]source.Entry{e("A", v), e("A:B", "y"), e("C", v), e("c", v)})
	for _, p := range problems {
		if s := p.String() + p.Key + p.Reason; contains(s, v) {
			t.Errorf("problem carries the value: %s", s)
		}
	}
	if len(problems) != 2 {
		t.Errorf("got %d problems, want 2: %v", len(problems), problems)
	}
}
