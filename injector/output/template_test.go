package output_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

func render(t *testing.T, text string, entries []source.Entry) (string, error) {
	t.Helper()
	tmpl, err := output.ParseTemplate("/etc/fig/app.tmpl", []byte(text))
	if err != nil {
		t.Fatalf("ParseTemplate: %v", err)
	}
	b, _, err := output.Encode(output.FormatTemplate, entries, tmpl)
	return string(b), err
}

func TestTemplateFunctions(t *testing.T) {
	entries := []source.Entry{
		e("Db:Host", "db"), e("Db:Password", "p'w d"), e("Empty", ""), e("L:0", "a"), e("L:1", "b"),
	}
	tests := []struct{ name, text, want string }{
		{"tree lookup", `{{ .Tree.Db.Host }}`, "db"},
		{"tree array", `{{ index .Tree.L 1 }} {{ len .Tree.L }}`, "b 2"},
		{"entries in order", `{{ range .Entries }}{{ .Key }};{{ end }}`, "Db:Host;Db:Password;Empty;L:0;L:1;"},
		{"get is case-insensitive", `{{ get "DB:HOST" }}`, "db"},
		{"has", `{{ has "db:password" }} {{ has "Db" }} {{ has "Nope" }}`, "true false false"},
		{"default on empty", `{{ get "Empty" | default "x" }} {{ get "Db:Host" | default "x" }}`, "x db"},
		{"json string", `{{ get "Db:Password" | json }}`, `"p'w d"`},
		{"json subtree", `{{ json .Tree.Db }} {{ json .Tree.L }}`, `{"Host":"db","Password":"p'w d"} ["a","b"]`},
		{"json no html escaping", `{{ json "<&>" }}`, `"<&>"`},
		{"env name", `{{ env "Db:Host" }}`, "Db__Host"},
		{"quote", `{{ quote "p'w d" }} {{ quote "" }} {{ quote "safe" }}`, `'p'"'"'w d' '' safe`},
		{"base64", `{{ get "Db:Host" | base64 }}`, "ZGI="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := render(t, tt.text, entries)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTemplateReproducesEnv: the documented env template gives the env
// format's bytes (no empty value here: the env format writes one bare,
// quote as a pair of single quotes).
func TestTemplateReproducesEnv(t *testing.T) {
	entries := []source.Entry{e("A:B", "it's $x"), e("C", "plain"), e("D", "l1\nl2")}
	got, err := render(t, `{{ range .Entries }}{{ env .Key }}={{ quote .Value }}{{ "\n" }}{{ end }}`, entries)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := output.Encode(output.FormatEnv, entries, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("mismatch (-env +template):\n%s", diff)
	}
}

func TestTemplateErrors(t *testing.T) {
	entries := []source.Entry{e("A", "x"), e("bad-key", "y")}
	tests := []struct {
		name, text string
		want       []string
	}{
		{"missing key is an error", "line1\n{{ .Tree.Nope }}", []string{"/etc/fig/app.tmpl:2:", `"Nope"`}},
		{"get of a missing key", "{{ get \"Nope\" }}", []string{"/etc/fig/app.tmpl:1:", `no configuration key "Nope"`}},
		{"env of an invalid name", "{{ env \"bad-key\" }}", []string{`"bad-key"`, "environment variable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := render(t, tt.text, entries)
			if err == nil {
				t.Fatalf("rendered %q, want an error", got)
			}
			if got != "" {
				t.Errorf("partial output %q returned with the error", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseTemplateErrorNamesFileAndLine(t *testing.T) {
	for _, text := range []string{"ok\nok\n{{ .A", "ok\nok\n{{ nosuchfunc }}"} {
		_, err := output.ParseTemplate("/etc/fig/app.tmpl", []byte(text))
		if err == nil || !strings.Contains(err.Error(), "/etc/fig/app.tmpl:3") {
			t.Errorf("ParseTemplate(%q) error = %v, want one naming /etc/fig/app.tmpl:3", text, err)
		}
	}
}

// TestTemplateErrorRedactsSecrets: the functions quote their operand when
// they fail; a secret passed as one must not reach the error.
func TestTemplateErrorRedactsSecrets(t *testing.T) {
	const pw = "hunter2-in-an-error"
	entries := []source.Entry{{Key: "Db:Password", Value: secret.New(pw), Secret: true}}
	for _, text := range []string{
		`{{ get (get "Db:Password") }}`,
		`{{ env (get "Db:Password") }}`,
	} {
		_, err := render(t, text, entries)
		if err == nil {
			t.Fatalf("%s: no error", text)
		}
		if strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), secret.Redacted) {
			t.Errorf("%s: error not redacted: %v", text, err)
		}
	}
}

// TestTemplateConcurrentUse: one parsed template renders different data in
// parallel (each execution clones it).
func TestTemplateConcurrentUse(t *testing.T) {
	tmpl, err := output.ParseTemplate("t", []byte(`{{ get "K" }}`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for i := range 8 {
		go func() {
			want := strings.Repeat("v", i+1)
			for range 50 {
				b, _, err := output.Encode(output.FormatTemplate, []source.Entry{e("K", want)}, tmpl)
				if err == nil && string(b) != want {
					err = &mismatch{want, string(b)}
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

type mismatch struct{ want, got string }

func (m *mismatch) Error() string { return "got " + m.got + ", want " + m.want }
