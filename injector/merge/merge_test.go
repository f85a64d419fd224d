package merge_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/merge"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

const (
	fig      = source.OriginFig
	prefix   = source.OriginPrefix
	explicit = source.OriginExplicit

	refA = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/a)"
	refB = "@Microsoft.KeyVault(VaultName=kv;SecretName=b;SecretVersion=v1)"
)

// entry builds a source entry; the origin is set by the Input field it goes
// in, so builders leave it empty to prove Merge sets it.
func entry(key, value string) source.Entry {
	return source.Entry{Key: key, Value: secret.New(value)}
}

// plain is an Entry with its value revealed, so cmp.Diff can show values.
type plain struct {
	Key    string
	Value  string
	Secret bool
	Origin source.Origin
}

func reveal(es []source.Entry) []plain {
	var out []plain
	for _, e := range es {
		out = append(out, plain{e.Key, e.Value.Reveal(), e.Secret, e.Origin})
	}
	return out
}

type view struct {
	Entries    []plain
	Conflicts  []merge.Conflict
	Unresolved []string
}

func viewOf(r merge.Result) view {
	return view{reveal(r.Entries), r.Conflicts, r.Unresolved}
}

func TestMerge(t *testing.T) {
	resolved := map[string]secret.Value{refA: secret.New("s3cret-a"), refB: secret.New("s3cret-b")}
	tests := []struct {
		name string
		in   merge.Input
		want view
	}{
		{
			name: "empty input, empty result",
			want: view{},
		},
		{
			name: "fig only",
			in:   merge.Input{Fig: []source.Entry{entry("A", "fig")}},
			want: view{Entries: []plain{{"A", "fig", false, fig}}},
		},
		{
			name: "fig isSecret flag is kept",
			in:   merge.Input{Fig: []source.Entry{{Key: "A", Value: secret.New("x"), Secret: true}}},
			want: view{Entries: []plain{{"A", "x", true, fig}}},
		},
		{
			name: "prefix beats fig, reported once",
			in: merge.Input{
				Fig:    []source.Entry{entry("A", "fig")},
				Prefix: []source.Entry{entry("A", "pfx")},
			},
			want: view{
				Entries:   []plain{{"A", "pfx", true, prefix}},
				Conflicts: []merge.Conflict{{Key: "A", Origins: []source.Origin{fig, prefix}, Winner: prefix}},
			},
		},
		{
			name: "explicit beats prefix and fig",
			in: merge.Input{
				Fig:      []source.Entry{entry("A", "fig")},
				Prefix:   []source.Entry{entry("A", "pfx")},
				Explicit: []source.Entry{entry("A", "exp")},
			},
			want: view{
				Entries:   []plain{{"A", "exp", true, explicit}},
				Conflicts: []merge.Conflict{{Key: "A", Origins: []source.Origin{fig, prefix, explicit}, Winner: explicit}},
			},
		},
		{
			name: "explicit beats prefix",
			in: merge.Input{
				Prefix:   []source.Entry{entry("A", "pfx")},
				Explicit: []source.Entry{entry("A", "exp")},
			},
			want: view{
				Entries:   []plain{{"A", "exp", true, explicit}},
				Conflicts: []merge.Conflict{{Key: "A", Origins: []source.Origin{prefix, explicit}, Winner: explicit}},
			},
		},
		{
			name: "explicit beats fig; keys compare case-insensitively; winner spelling kept",
			in: merge.Input{
				Fig:      []source.Entry{entry("db:password", "fig")},
				Explicit: []source.Entry{entry("DB:PASSWORD", "exp")},
			},
			want: view{
				Entries:   []plain{{"DB:PASSWORD", "exp", true, explicit}},
				Conflicts: []merge.Conflict{{Key: "DB:PASSWORD", Origins: []source.Origin{fig, explicit}, Winner: explicit}},
			},
		},
		{
			name: "order of the layers in the input does not matter, only the field",
			in: merge.Input{
				Explicit: []source.Entry{entry("A", "exp"), entry("B", "exp")},
				Fig:      []source.Entry{entry("B", "fig"), entry("A", "fig")},
			},
			want: view{
				Entries: []plain{{"A", "exp", true, explicit}, {"B", "exp", true, explicit}},
				Conflicts: []merge.Conflict{
					{Key: "A", Origins: []source.Origin{fig, explicit}, Winner: explicit},
					{Key: "B", Origins: []source.Origin{fig, explicit}, Winner: explicit},
				},
			},
		},
		{
			name: "duplicate within fig: last wins, spelling too, no conflict",
			in: merge.Input{Fig: []source.Entry{
				entry("Username", "nested simplified"),
				entry("Auth:Username", "nested"),
				entry("username", "top-level"),
			}},
			want: view{Entries: []plain{
				{"Auth:Username", "nested", false, fig},
				{"username", "top-level", false, fig},
			}},
		},
		{
			name: "duplicate within prefix: last wins, no conflict",
			in:   merge.Input{Prefix: []source.Entry{entry("A", "p1"), entry("a", "p2")}},
			want: view{Entries: []plain{{"a", "p2", true, prefix}}},
		},
		{
			name: "duplicate within fig then prefix: one conflict listing each origin once",
			in: merge.Input{
				Fig:    []source.Entry{entry("A", "f1"), entry("A", "f2")},
				Prefix: []source.Entry{entry("A", "p1"), entry("A", "p2")},
			},
			want: view{
				Entries:   []plain{{"A", "p2", true, prefix}},
				Conflicts: []merge.Conflict{{Key: "A", Origins: []source.Origin{fig, prefix}, Winner: prefix}},
			},
		},
		{
			name: "resolved references in both syntaxes become secrets",
			in: merge.Input{
				Fig:      []source.Entry{entry("A", refA), entry("B", refB)},
				Resolved: resolved,
			},
			want: view{Entries: []plain{{"A", "s3cret-a", true, fig}, {"B", "s3cret-b", true, fig}}},
		},
		{
			name: "reference with surrounding spaces is trimmed before lookup",
			in: merge.Input{
				Fig:      []source.Entry{entry("A", "  "+refA+"\t")},
				Resolved: resolved,
			},
			want: view{Entries: []plain{{"A", "s3cret-a", true, fig}}},
		},
		{
			name: "caller may key Resolved by the untrimmed text",
			in: merge.Input{
				Fig:      []source.Entry{entry("A", " "+refA)},
				Resolved: map[string]secret.Value{" " + refA: secret.New("raw-key")},
			},
			want: view{Entries: []plain{{"A", "raw-key", true, fig}}},
		},
		{
			name: "resolved to an empty secret is still resolved",
			in: merge.Input{
				Fig:      []source.Entry{entry("A", refA)},
				Resolved: map[string]secret.Value{refA: {}},
			},
			want: view{Entries: []plain{{"A", "", true, fig}}},
		},
		{
			name: "unresolved reference: key left out and listed",
			in: merge.Input{
				Fig:      []source.Entry{entry("Z", refB), entry("A", "@microsoft.keyvault(SecretUri=https://kv/secrets/x)"), entry("M", "kept")},
				Resolved: map[string]secret.Value{},
			},
			want: view{
				Entries:    []plain{{"M", "kept", false, fig}},
				Unresolved: []string{"A", "Z"},
			},
		},
		{
			name: "unresolved reference shadowed by prefix: not unresolved, still a conflict",
			in: merge.Input{
				Fig:    []source.Entry{entry("A", refA)},
				Prefix: []source.Entry{entry("a", "pfx")},
			},
			want: view{
				Entries:   []plain{{"a", "pfx", true, prefix}},
				Conflicts: []merge.Conflict{{Key: "a", Origins: []source.Origin{fig, prefix}, Winner: prefix}},
			},
		},
		{
			name: "unresolved reference then plain fig value: last wins, nothing unresolved",
			in:   merge.Input{Fig: []source.Entry{entry("A", refA), entry("A", "plain")}},
			want: view{Entries: []plain{{"A", "plain", false, fig}}},
		},
		{
			name: "plain fig value then unresolved reference: left out",
			in:   merge.Input{Fig: []source.Entry{entry("A", "plain"), entry("A", refA)}},
			want: view{Unresolved: []string{"A"}},
		},
		{
			name: "reference text inside a longer value is not a reference",
			in: merge.Input{
				Fig:      []source.Entry{entry("A", "x"+refA), entry("B", refA+"x")},
				Resolved: resolved,
			},
			want: view{Entries: []plain{{"A", "x" + refA, false, fig}, {"B", refA + "x", false, fig}}},
		},
		{
			name: "references are not looked for in key vault values",
			in: merge.Input{
				Prefix:   []source.Entry{entry("A", refA)},
				Resolved: resolved,
			},
			want: view{Entries: []plain{{"A", refA, true, prefix}}},
		},
		{
			name: "sorted case-insensitively, ordinal on the folded key",
			in: merge.Input{Fig: []source.Entry{
				entry("b", "1"), entry("A:b", "2"), entry("a", "3"), entry("B:a", "4"), entry("A0", "5"), entry("_x", "6"),
			}},
			want: view{Entries: []plain{
				{"a", "3", false, fig}, {"A0", "5", false, fig}, {"A:b", "2", false, fig},
				{"b", "1", false, fig}, {"B:a", "4", false, fig}, {"_x", "6", false, fig},
			}},
		},
		{
			name: "non-ASCII keys fold by simple upper case",
			in:   merge.Input{Fig: []source.Entry{entry("Größe", "1"), entry("GRÖSSE", "2"), entry("GRÖßE", "3")}},
			want: view{Entries: []plain{{"GRÖSSE", "2", false, fig}, {"GRÖßE", "3", false, fig}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := viewOf(merge.Merge(tt.in))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Merge() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMergeOrderIndependent proves the result depends only on which entries
// each origin delivered, not on the order within an origin, as long as no
// key repeats within it (repeats are last-wins by design).
func TestMergeOrderIndependent(t *testing.T) {
	var in merge.Input
	for i := range 200 {
		in.Fig = append(in.Fig, entry(fmt.Sprintf("Section%d:Key%d", i%7, i), fmt.Sprint(i)))
	}
	for i := range 50 {
		in.Prefix = append(in.Prefix, entry(fmt.Sprintf("section%d:key%d", i%7, i*3), "p"))
	}
	want := viewOf(merge.Merge(in))
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		shuffled := merge.Input{Fig: shuffle(rng, in.Fig), Prefix: shuffle(rng, in.Prefix)}
		if diff := cmp.Diff(want, viewOf(merge.Merge(shuffled))); diff != "" {
			t.Fatalf("result depends on input order (-first +shuffled):\n%s", diff)
		}
	}
}

func shuffle(rng *rand.Rand, es []source.Entry) []source.Entry {
	out := append([]source.Entry(nil), es...)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// TestMergeDoesNotModifyInput guards the caller's slices: Merge sets Origin
// and Secret on copies.
func TestMergeDoesNotModifyInput(t *testing.T) {
	in := merge.Input{
		Fig:      []source.Entry{entry("A", refA)},
		Prefix:   []source.Entry{entry("B", "p")},
		Resolved: map[string]secret.Value{refA: secret.New("s")},
	}
	merge.Merge(in)
	want := []plain{{"A", refA, false, ""}, {"B", "p", false, ""}}
	if diff := cmp.Diff(want, reveal(append(in.Fig, in.Prefix...))); diff != "" {
		t.Errorf("input modified (-want +got):\n%s", diff)
	}
}

// TestReportsCarryNoValues checks that what the caller logs (conflicts and
// unresolved keys) cannot contain a value, even printed with %+v.
func TestReportsCarryNoValues(t *testing.T) {
	const secretText = "hunter2-very-secret"
	r := merge.Merge(merge.Input{
		Fig:      []source.Entry{entry("A", secretText), entry("B", refA)},
		Explicit: []source.Entry{entry("A", secretText+"-exp")},
	})
	printed := fmt.Sprintf("%+v %+v %#v", r.Conflicts, r.Unresolved, r)
	if strings.Contains(printed, secretText) || strings.Contains(printed, "KeyVault(") {
		t.Errorf("reports leak a value: %s", printed)
	}
}

func TestIsReference(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{refA, true},
		{refB, true},
		{"  " + refA + " \n", true},
		{"@microsoft.keyvault(SecretUri=x)", true},
		{"@Microsoft.KeyVault()", true},
		{"@Microsoft.KeyVault (SecretUri=x)", true}, // the Key Vault parser accepts the space, so merge must too
		{"@Microsoft.KeyVaultX(SecretUri=x)", false},
		{"@Microsoft.KeyVault(", false},
		{"@Microsoft.KeyVault(SecretUri=x", false},
		{"x" + refA, false},
		{refA + "x", false},
		{"Microsoft.KeyVault(SecretUri=x)", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := merge.IsReference(tt.in); got != tt.want {
			t.Errorf("IsReference(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
