package docs_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/merge"
	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/fig"
)

// The worked example's environment, as merge-rules.md states it.
var (
	exampleConstants = fig.Constants{MachineName: "orders-7d9f-abcde"}
	exampleLoadTime  = time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
)

// exampleFigPayload builds the settings body Fig would send from the
// example's settings table: name, value type, the value's JSON ("—" for
// none) and isSecret.
func exampleFigPayload(t *testing.T, table [][]string) []byte {
	t.Helper()
	var settings []string
	for _, r := range table {
		if len(r) != 4 {
			t.Fatalf("settings row %q: want 4 cells", r)
		}
		name, typ, value, isSecret := ticks(r[0]), ticks(r[1]), ticks(r[2]), ticks(r[3])
		if len(name) != 1 || len(typ) != 1 || len(isSecret) != 1 {
			t.Fatalf("settings row %q: want `name`, `Type`, `value` and `isSecret`", r)
		}
		n, _ := json.Marshal(name[0])
		v := fmt.Sprintf(`{"$type":"Fig.Contracts.Settings.%sSettingDataContract, Fig.Contracts"`, typ[0])
		if len(value) == 1 {
			v += `,"value":` + value[0]
		}
		settings = append(settings, fmt.Sprintf(`{"name":%s,"isSecret":%s,"value":%s}}`, n, isSecret[0], v))
	}
	return []byte("[" + strings.Join(settings, ",") + "]")
}

// exampleInput builds the merge input the agent would build from the
// example's two tables.
func exampleInput(t *testing.T, d doc) merge.Input {
	t.Helper()
	settings, err := fig.Decode(exampleFigPayload(t, firstTable(d.afterMarker(t, "fig-settings"))))
	if err != nil {
		t.Fatalf("the example's Fig settings do not decode: %v", err)
	}
	in := merge.Input{
		// The options the agent uses (injector/agent/fig.go).
		Fig:      fig.Map(settings, fig.MapOptions{Constants: exampleConstants, LoadTime: exampleLoadTime, IncludeMetadata: true}),
		Resolved: map[string]secret.Value{},
	}
	for _, r := range firstTable(d.afterMarker(t, "keyvault")) {
		if len(r) != 3 {
			t.Fatalf("keyvault row %q: want origin, `key or reference` and `value`", r)
		}
		key, value := ticks(r[1]), ticks(r[2])
		if len(key) == 0 || len(value) != 1 {
			t.Fatalf("keyvault row %q: want origin, `key or reference` and `value`", r)
		}
		e := source.Entry{Key: key[0], Value: secret.New(value[0])}
		switch origin := r[0]; origin {
		case "reference":
			in.Resolved[key[0]] = e.Value
		case string(source.OriginPrefix):
			in.Prefix = append(in.Prefix, e)
		case string(source.OriginExplicit):
			in.Explicit = append(in.Explicit, e)
		default:
			t.Fatalf("keyvault row %q: unknown origin %q", r, origin)
		}
	}
	return in
}

// TestMergeRulesWorkedExample runs merge-rules.md's worked example through
// the real mapping, merge and encoders and compares every output shown.
func TestMergeRulesWorkedExample(t *testing.T) {
	d := readDoc(t, "merge-rules.md")
	res := merge.Merge(exampleInput(t, d))
	if len(res.Unresolved) > 0 {
		t.Fatalf("the example leaves references unresolved: %v", res.Unresolved)
	}
	tmpl, err := output.ParseTemplate("example.tmpl", []byte(firstCodeBlock(t, d.afterMarker(t, "template"))))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []output.Format{output.FormatJSON, output.FormatYAML, output.FormatEnv, output.FormatProperties, output.FormatTemplate} {
		t.Run(string(f), func(t *testing.T) {
			got, problems, err := output.Encode(f, res.Entries, tmpl)
			if err != nil || len(problems) > 0 {
				t.Fatalf("Encode: %v, problems %v", err, problems)
			}
			want := firstCodeBlock(t, d.afterMarker(t, "output "+string(f)))
			if diff := cmp.Diff(want, string(got)); diff != "" {
				t.Errorf("merge-rules.md's %s output differs from the encoder's (-doc +code):\n%s", f, diff)
			}
		})
	}
}
