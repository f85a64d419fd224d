package output_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/merge"
	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/source"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldens lists one golden file per format, all rendered from richInput,
// with the reader that reads the format back (nil: no reader).
var goldens = []struct {
	format output.Format
	file   string
	read   func([]byte) ([]source.Entry, error)
}{
	{output.FormatJSON, "rich.json", flattenJSON},
	{output.FormatYAML, "rich.yaml", flattenYAML},
	{output.FormatEnv, "rich.env", func(b []byte) ([]source.Entry, error) {
		ps, err := readEnv(string(b))
		return pairsToEntries(ps, "__"), err
	}},
	{output.FormatProperties, "rich.properties", func(b []byte) ([]source.Entry, error) {
		ps, err := readProperties(string(b))
		return pairsToEntries(ps, "."), err
	}},
	{output.FormatTemplate, "rich.tmpl.golden", nil},
}

// TestGolden renders the rich input in every format and compares the bytes
// with testdata (go test -update rewrites them). The second pass proves
// idempotence: reading a golden file back, merging and encoding again gives
// the same bytes, so a file the agent wrote is a fixed point.
func TestGolden(t *testing.T) {
	res := merge.Merge(richInput())
	tmpl := parseTemplateFile(t, "testdata/rich.tmpl")
	for _, g := range goldens {
		t.Run(g.file, func(t *testing.T) {
			got, _, err := output.Encode(g.format, res.Entries, tmpl)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			checkGolden(t, filepath.Join("testdata", g.file), got)

			if g.read == nil {
				return
			}
			back, err := g.read(got)
			if err != nil {
				t.Fatalf("reading the output back: %v", err)
			}
			again, problems, err := output.Encode(g.format, merge.Merge(merge.Input{Fig: back}).Entries, tmpl)
			if err != nil {
				t.Fatalf("second Encode: %v", err)
			}
			if diff := cmp.Diff(string(got), string(again)); diff != "" {
				t.Errorf("second pass differs (-first +second):\n%s", diff)
			}
			if len(problems) != 0 {
				t.Errorf("second pass reports problems: %v", problems)
			}
		})
	}
}

// TestGoldenReport pins what the agent would log for the rich input:
// conflicts, unresolved references and tree problems, by key only.
func TestGoldenReport(t *testing.T) {
	res := merge.Merge(richInput())
	var b strings.Builder
	for _, c := range res.Conflicts {
		fmt.Fprintf(&b, "conflict %q origins %v winner %s\n", c.Key, c.Origins, c.Winner)
	}
	for _, k := range res.Unresolved {
		fmt.Fprintf(&b, "unresolved %q\n", k)
	}
	for _, f := range []output.Format{output.FormatJSON, output.FormatYAML} {
		_, problems, err := output.Encode(f, res.Entries, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			fmt.Fprintf(&b, "%s problem %s\n", f, p)
		}
	}
	checkGolden(t, "testdata/rich.report", []byte(b.String()))
}

// TestGoldenOrderIndependent shuffles the sources' entries: the bytes must
// not change. Repeated keys within Fig are last-wins by design, so the
// shuffle keeps only each key's last Fig entry.
func TestGoldenOrderIndependent(t *testing.T) {
	in := richInput()
	tmpl := parseTemplateFile(t, "testdata/rich.tmpl")
	want := map[output.Format][]byte{}
	for _, g := range goldens {
		b, _, err := output.Encode(g.format, merge.Merge(in).Entries, tmpl)
		if err != nil {
			t.Fatal(err)
		}
		want[g.format] = b
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 3 {
		shuffled := in
		shuffled.Fig = lastWins(in.Fig)
		rng.Shuffle(len(shuffled.Fig), func(i, j int) { shuffled.Fig[i], shuffled.Fig[j] = shuffled.Fig[j], shuffled.Fig[i] })
		entries := merge.Merge(shuffled).Entries
		for _, g := range goldens {
			got, _, err := output.Encode(g.format, entries, tmpl)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want[g.format]), string(got)); diff != "" {
				t.Errorf("round %d, %s: bytes depend on input order (-sorted +shuffled):\n%s", round, g.format, diff)
			}
		}
	}
}

// lastWins drops every entry that a later entry with the same key
// (case-insensitively) overrides.
func lastWins(es []source.Entry) []source.Entry {
	seen := map[string]bool{}
	var out []source.Entry
	for i := len(es) - 1; i >= 0; i-- {
		if k := strings.ToUpper(es[i].Key); !seen[k] {
			seen[k] = true
			out = append(out, es[i])
		}
	}
	return out
}

func parseTemplateFile(t testing.TB, path string) *output.Template {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := output.ParseTemplate(path, text)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-golden +got; go test -update rewrites it):\n%s", path, diff)
	}
}
