package docs_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fig-injector/fig-injector/injector/config"
)

// field is one YAML path of the agent configuration, e.g.
// "keyVaults[].secrets[].optional", with its Go type.
type field struct {
	path string
	typ  reflect.Type
	leaf bool
}

var (
	durationType    = reflect.TypeFor[config.Duration]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// configFields walks t by reflection and returns every path its json tags
// describe, objects and lists included, in declaration order.
func configFields(t reflect.Type, prefix string) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" || name == "" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, field{path: path, typ: ft})
			out = append(out, configFields(ft.Elem(), path+"[]")...)
		case ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(unmarshalerType):
			out = append(out, field{path: path, typ: ft})
			out = append(out, configFields(ft, path)...)
		default:
			out = append(out, field{path: path, typ: ft, leaf: true})
		}
	}
	return out
}

// typeName is the type column's word for a Go type.
func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t.Kind() == reflect.Slice:
		return "list"
	case t.Kind() == reflect.Struct:
		return "object"
	}
	return t.Kind().String()
}

// skeleton returns a Config with every pointer set and every list holding
// one element, so that every path has a value to default or fill.
func skeleton() *config.Config {
	cfg := &config.Config{}
	fill(reflect.ValueOf(cfg).Elem())
	cfg.Fig.ClientName = "OrderService"
	return cfg
}

func fill(v reflect.Value) {
	if v.Type() == durationType {
		return
	}
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		switch f.Kind() {
		case reflect.Pointer:
			if f.Type().Elem().Kind() == reflect.Struct {
				f.Set(reflect.New(f.Type().Elem()))
				fill(f.Elem())
			}
		case reflect.Slice:
			if f.Type().Elem().Kind() == reflect.Struct {
				f.Set(reflect.MakeSlice(f.Type(), 1, 1))
				fill(f.Index(0))
			}
		case reflect.Struct:
			fill(f)
		}
	}
}

// leafValues returns each leaf path's value in cfg as the docs write it
// ("" for a zero value): durations shortened ("2m", not "2m0s").
func leafValues(cfg *config.Config) map[string]string {
	out := map[string]string{}
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if !sf.IsExported() || name == "" || name == "-" {
				continue
			}
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			f := v.Field(i)
			if f.Kind() == reflect.Pointer {
				if f.IsNil() {
					continue
				}
				f = f.Elem()
			}
			switch {
			case f.Type() == durationType:
				out[path] = shortDuration(f.Interface().(config.Duration).D())
			case f.Kind() == reflect.Struct:
				walk(f, path)
			case f.Kind() == reflect.Slice:
				if f.Len() > 0 && f.Type().Elem().Kind() == reflect.Struct {
					walk(f.Index(0), path+"[]")
				}
			case f.Kind() == reflect.Bool:
				out[path] = ""
				if f.Bool() {
					out[path] = "true"
				}
			default:
				out[path] = f.String()
			}
		}
	}
	walk(reflect.ValueOf(cfg).Elem(), "")
	return out
}

// shortDuration writes d as people write it: "30s", "2m", "1h30m"; "" for 0.
func shortDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// envFallbacks returns, per leaf path, the environment variables that
// Config.ApplyEnv fills it from, with the client key written <CLIENTNAME>
// as the docs write it.
func envFallbacks(t *testing.T) map[string][]string {
	t.Helper()
	var asked []string
	base := skeleton()
	base.ApplyEnv(func(k string) string {
		asked = append(asked, k)
		return ""
	})
	before := leafValues(base)
	clientKey := config.ClientKey(base.Fig.ClientName)
	out := map[string][]string{}
	for _, name := range asked {
		cfg := skeleton()
		cfg.ApplyEnv(func(k string) string {
			if k == name {
				return "1234" // valid for strings and for FIG_POLL_INTERVAL_MS
			}
			return ""
		})
		doc := strings.ReplaceAll(name, clientKey, "<CLIENTNAME>")
		changed := false
		for path, v := range leafValues(cfg) {
			if v != before[path] {
				out[path] = append(out[path], doc)
				changed = true
			}
		}
		if !changed {
			t.Errorf("ApplyEnv reads %s but no field changed when it was set; extend this test", name)
		}
	}
	return out
}

// documentsValue reports whether a cell names v in a code span; durations
// match by value ("60s" documents "1m").
func documentsValue(cell, v string) bool {
	want, isDuration := time.ParseDuration(v)
	for _, k := range ticks(cell) {
		if k == v {
			return true
		}
		if got, err := time.ParseDuration(k); isDuration == nil && err == nil && got == want {
			return true
		}
	}
	return false
}

var envName = regexp.MustCompile(`^[A-Z][A-Z0-9_<>]*$`)

// TestConfigReference checks the agent configuration table of
// configuration.md against config.Config: every path (from the json tags)
// has a row and every row a path; each row's type, default (from
// ApplyDefaults) and environment fallback (from ApplyEnv) match the code.
func TestConfigReference(t *testing.T) {
	d := readDoc(t, "configuration.md")
	table := map[string][]string{}
	for _, r := range rows(d.section(t, "## Agent configuration file")) {
		if len(r) != 5 {
			t.Errorf("config table row %q has %d cells, want 5 (path, type, default, env fallback, meaning)", r, len(r))
			continue
		}
		ks := ticks(r[0])
		if len(ks) != 1 {
			t.Errorf("config table row %q: the first cell must be one `path`", r)
			continue
		}
		table[ks[0]] = r
	}

	fields := configFields(reflect.TypeFor[config.Config](), "")
	known := map[string]bool{}
	for _, f := range fields {
		known[f.path] = true
		r, ok := table[f.path]
		if !ok {
			t.Errorf("config field %s (%s) is not in configuration.md's table", f.path, typeName(f.typ))
			continue
		}
		if got, want := r[1], typeName(f.typ); got != want {
			t.Errorf("%s: documented type %q, code type %q", f.path, got, want)
		}
	}
	for path := range table {
		if !known[path] {
			t.Errorf("configuration.md documents %s, which config.Config does not have", path)
		}
	}

	undefaulted := leafValues(skeleton())
	defaulted := skeleton()
	defaulted.ApplyDefaults()
	for path, v := range leafValues(defaulted) {
		if r, ok := table[path]; ok && v != undefaulted[path] && !documentsValue(r[2], v) {
			t.Errorf("%s: ApplyDefaults sets %q, but the default cell says %q", path, v, r[2])
		}
	}

	env := envFallbacks(t)
	for _, f := range fields {
		r, ok := table[f.path]
		if !ok {
			continue
		}
		var documented []string
		for _, k := range ticks(r[3]) {
			if envName.MatchString(k) {
				documented = append(documented, k)
			}
		}
		want := env[f.path]
		slices.Sort(documented)
		slices.Sort(want)
		if diff := cmp.Diff(want, documented, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: environment fallbacks (-code +doc):\n%s", f.path, diff)
		}
	}
}
