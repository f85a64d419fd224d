package docs_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/fig-injector/fig-injector/injector/webhook"
)

// stringConsts parses the non-test Go files of dir and returns the string
// constants whose names match, by name.
func stringConsts(t *testing.T, dir string, name *regexp.Regexp) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !name.MatchString(id.Name) || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, err := strconv.Unquote(lit.Value)
						if err != nil {
							t.Fatal(err)
						}
						out[id.Name] = v
					}
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no constants matching %s in %s", name, dir)
	}
	return out
}

// TestAnnotationsDocumented checks that every annotation and label constant
// of injector/inject has a row in configuration.md's annotation table, and
// that the table names none the code lacks.
func TestAnnotationsDocumented(t *testing.T) {
	consts := stringConsts(t, "../injector/inject", regexp.MustCompile(`(Annotation|Label)$`))
	table := rowsByFirstTick(rows(readDoc(t, "configuration.md").section(t, "## Pod label and annotations")))
	values := map[string]bool{}
	for name, v := range consts {
		values[v] = true
		if _, ok := table[v]; !ok {
			t.Errorf("%s = %q is not in configuration.md's annotation table", name, v)
		}
	}
	for k := range table {
		if (strings.HasPrefix(k, "fig-injector.io/") || strings.HasPrefix(k, "azure.workload.identity/")) && !values[k] {
			t.Errorf("configuration.md documents %s, which injector/inject does not define", k)
		}
	}
}

// TestEnvironmentDocumented checks that every environment variable the code
// names in a constant, and every fallback Config.ApplyEnv reads, has a row
// in configuration.md's environment table.
func TestEnvironmentDocumented(t *testing.T) {
	table := rowsByFirstTick(rows(readDoc(t, "configuration.md").section(t, "## Environment variables")))
	envConst := regexp.MustCompile(`(EnvVar$|^Env[A-Z]|Env$)`)
	for _, dir := range []string{"../injector/inject", "../injector/azure", "../cmd/fig-injector"} {
		for name, v := range stringConsts(t, dir, envConst) {
			if _, ok := table[v]; !ok {
				t.Errorf("%s: %s = %q is not in configuration.md's environment table", dir, name, v)
			}
		}
	}
	for path, names := range envFallbacks(t) {
		for _, v := range names {
			if _, ok := table[v]; !ok {
				t.Errorf("%s falls back to %s, which is not in configuration.md's environment table", path, v)
			}
		}
	}
}

// jsonKeys returns the top-level keys t marshals to, inline structs
// flattened.
func jsonKeys(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		switch {
		case sf.Anonymous && (name == "" || strings.Contains(opts, "inline")):
			out = append(out, jsonKeys(sf.Type)...)
		case sf.IsExported() && name != "-" && name != "":
			out = append(out, name)
		}
	}
	return out
}

// TestWebhookConfigDocumented checks configuration.md's webhook config
// table against webhook.Config's keys, both ways.
func TestWebhookConfigDocumented(t *testing.T) {
	table := rowsByFirstTick(rows(readDoc(t, "configuration.md").section(t, "## Webhook configuration file")))
	keys := jsonKeys(reflect.TypeFor[webhook.Config]())
	for _, k := range keys {
		if _, ok := table[k]; !ok {
			t.Errorf("webhook config key %s is not in configuration.md", k)
		}
	}
	for _, r := range rows(readDoc(t, "configuration.md").section(t, "## Webhook configuration file")) {
		if k := ticks(r[0]); len(k) != 1 || !slices.Contains(keys, k[0]) {
			t.Errorf("configuration.md's webhook table row %q is not one webhook.Config key", r[0])
		}
	}
}

// chartSchema is the part of values.schema.json this test reads.
type chartSchema struct {
	Properties map[string]struct {
		Properties           map[string]json.RawMessage `json:"properties"`
		AdditionalProperties *bool                      `json:"additionalProperties"`
	} `json:"properties"`
}

// TestChartValuesDocumented checks that every chart value the schema
// defines, down to the second level of the fixed sections (agent.port,
// allowlists.figUris, …), has a row in configuration.md, and that a row's
// default cell shows values.yaml's scalar default.
func TestChartValuesDocumented(t *testing.T) {
	raw, err := os.ReadFile("../charts/fig-injector/values.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema chartSchema
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	vy, err := os.ReadFile("../charts/fig-injector/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(vy, &values); err != nil {
		t.Fatal(err)
	}
	table := rowsByFirstTick(rows(readDoc(t, "configuration.md").section(t, "## Helm chart values")))
	var paths []string
	for top, p := range schema.Properties {
		if len(p.Properties) > 0 && p.AdditionalProperties != nil && !*p.AdditionalProperties {
			for child := range p.Properties {
				paths = append(paths, top+"."+child)
			}
			continue
		}
		paths = append(paths, top)
	}
	slices.Sort(paths)
	for _, path := range paths {
		r, ok := table[path]
		if !ok {
			t.Errorf("chart value %s is not in configuration.md's chart table", path)
			continue
		}
		if v, ok := scalarAt(values, path); ok && v != "" && !hasTick(r[1], v) {
			t.Errorf("chart value %s: values.yaml has %q, the default cell says %q", path, v, r[1])
		}
	}
}

// scalarAt returns the text of the scalar at a dotted path of values.
func scalarAt(values map[string]any, path string) (string, bool) {
	var cur any = values
	for _, seg := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		cur = m[seg]
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case bool, float64:
		return fmt.Sprint(v), true
	}
	return "", false
}
