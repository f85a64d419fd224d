package output_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// encodeOne encodes a single entry and fails the test on error.
func encodeOne(t *testing.T, f output.Format, key, value string) string {
	t.Helper()
	b, _, err := output.Encode(f, []source.Entry{e(key, value)}, nil)
	if err != nil {
		t.Fatalf("Encode(%s, %q): %v", f, key, err)
	}
	return string(b)
}

func TestEnvValues(t *testing.T) {
	tests := []struct{ name, value, want string }{
		{"empty", "", "K=\n"},
		{"safe bare", "a-Z_0.9:/,@%+=", "K=a-Z_0.9:/,@%+=\n"},
		{"space", "a b", "K='a b'\n"},
		{"leading and trailing spaces", "  x  ", "K='  x  '\n"},
		{"single quote", "it's", `K='it'"'"'s'` + "\n"},
		{"only a single quote", "'", `K=''"'"''` + "\n"},
		{"double quote", `say "hi"`, `K='say "hi"'` + "\n"},
		{"dollar", "$HOME ${X} $(id)", "K='$HOME ${X} $(id)'\n"},
		{"backticks", "`id`", "K='`id`'\n"},
		{"backslash", `a\nb\`, `K='a\nb\'` + "\n"},
		{"newline", "l1\nl2\n", "K='l1\nl2\n'\n"},
		{"carriage return and tab", "a\r\tb", "K='a\r\tb'\n"},
		{"unicode", "日本 é 😀", "K='日本 é 😀'\n"},
		{"tilde and hash", "~/x#y", "K='~/x#y'\n"},
		{"glob", "*", "K='*'\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeOne(t, output.FormatEnv, "K", tt.value)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			back, err := readEnv(got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]pair{{"K", tt.value}}, back); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnvNames(t *testing.T) {
	if got := encodeOne(t, output.FormatEnv, "ConnectionStrings:Orders:Pw", "x"); got != "ConnectionStrings__Orders__Pw=x\n" {
		t.Errorf("got %q", got)
	}
	if got := encodeOne(t, output.FormatEnv, "_a1:B_2", "x"); got != "_a1__B_2=x\n" {
		t.Errorf("got %q", got)
	}
	bad := []source.Entry{e("Good", "x"), e("my-app:Key", "s1"), e("1st", "s2"), e("Dotted.Name", "s3"), e("Ünï", "s4"), e("", "s5"), e("A B", "s6")}
	_, _, err := output.Encode(output.FormatEnv, bad, nil)
	if err == nil {
		t.Fatal("Encode accepted invalid names")
	}
	for _, want := range []string{`"my-app:Key"`, `"1st"`, `"Dotted.Name"`, `"Ünï"`, `""`, `"A B"`, "6 key(s)", "'__'"} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if contains(err.Error(), `"Good"`) || contains(err.Error(), "s1") {
		t.Errorf("error names a valid key or a value: %v", err)
	}
}

func TestEnvRefusesNUL(t *testing.T) {
	_, _, err := output.Encode(output.FormatEnv, []source.Entry{e("K", "a\x00b")}, nil)
	if err == nil || !contains(err.Error(), `"K"`) || !contains(err.Error(), "NUL") {
		t.Fatalf("err = %v, want one naming K and NUL", err)
	}
}

func TestPropertiesEscaping(t *testing.T) {
	tests := []struct{ name, key, value, want string }{
		{"plain", "A:B", "v", "A.B=v\n"},
		{"empty value", "A", "", "A=\n"},
		{"separators in value", "A", "x=1:y#z!", `A=x\=1\:y\#z\!` + "\n"},
		{"separators in key", "a=b:c", "v", `a\=b.c=v` + "\n"},
		{"comment chars in key", "#k!", "v", `\#k\!=v` + "\n"},
		{"backslash", "A", `C:\dir`, `A=C\:\\dir` + "\n"},
		{"leading spaces in value, inner kept", "A", "  a b ", `A=\  a b ` + "\n"},
		{"spaces in key everywhere", " k y", "v", `\ k\ y=v` + "\n"},
		{"controls", "A", "\t\n\r\f", `A=\t\n\r\f` + "\n"},
		{"other controls and DEL", "A", "\x01\x7f", `A=\u0001\u007F` + "\n"},
		{"latin-1 and BMP", "Grüße", "é—日", `Gr\u00FC\u00DFe=\u00E9\u2014\u65E5` + "\n"},
		{"astral as surrogate pair", "A", "😀", `A=\uD83D\uDE00` + "\n"},
		{"invalid UTF-8", "A", "a\xffb", `A=a\uFFFDb` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeOne(t, output.FormatProperties, tt.key, tt.value)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			for _, c := range []byte(got) {
				if c > 0x7e || c < 0x20 && c != '\n' {
					t.Fatalf("output is not printable ASCII: %q", got)
				}
			}
		})
	}
}

func TestJSONAndYAMLStrings(t *testing.T) {
	tests := []struct{ name, value, json, yaml string }{
		{"plain", "x", `"x"`, `"x"`},
		{"quotes and backslash", `a"b\c`, `"a\"b\\c"`, `"a\"b\\c"`},
		{"controls", "\n\r\t\x01", `"\n\r\t\u0001"`, `"\n\r\t\x01"`},
		{"DEL and C1 are legal raw in JSON", "\x7f\u0085", "\"\x7f\u0085\"", `"\x7f\x85"`},
		{"html stays readable", "<a&b>", `"<a&b>"`, `"<a&b>"`},
		{"line separators", "\u2028\u2029", `"\u2028\u2029"`, `"\u2028\u2029"`},
		{"BOM", "\ufeff", "\"\ufeff\"", `"\ufeff"`},
		{"unicode kept", "日本 😀", `"日本 😀"`, `"日本 😀"`},
		{"YAML-typed words stay strings", "True", `"True"`, `"True"`},
		{"invalid UTF-8", "a\xffb", `"a\ufffdb"`, `"a\ufffdb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON := "{\n  \"K\": " + tt.json + "\n}\n"
			if diff := cmp.Diff(wantJSON, encodeOne(t, output.FormatJSON, "K", tt.value)); diff != "" {
				t.Errorf("json (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff("K: "+tt.yaml+"\n", encodeOne(t, output.FormatYAML, "K", tt.value)); diff != "" {
				t.Errorf("yaml (-want +got):\n%s", diff)
			}
			// Both read back to the value (invalid UTF-8 as U+FFFD).
			want := string([]rune(tt.value))
			for f, read := range map[output.Format]func([]byte) ([]source.Entry, error){output.FormatJSON: flattenJSON, output.FormatYAML: flattenYAML} {
				back, err := read([]byte(encodeOne(t, f, "K", tt.value)))
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if diff := cmp.Diff([]pair{{"K", want}}, revealAll(back)); diff != "" {
					t.Errorf("%s read back (-want +got):\n%s", f, diff)
				}
			}
		})
	}
}

func TestYAMLKeys(t *testing.T) {
	tests := []struct{ key, want string }{
		{"Name", "Name"},
		{"snake_case-key9", "snake_case-key9"},
		{"On", `"On"`},
		{"no", `"no"`},
		{"Y", `"Y"`},
		{"NULL", `"NULL"`},
		{"2", `"2"`},
		{"1.5", `"1.5"`},
		{"-x", `"-x"`},
		{"a b", `"a b"`},
		{"a.b", `"a.b"`},
		{"ключ", `"ключ"`},
		{"", `""`},
	}
	for _, tt := range tests {
		got := encodeOne(t, output.FormatYAML, "P:"+tt.key, "v")
		want := "P:\n  " + tt.want + ": \"v\"\n"
		if got != want {
			t.Errorf("key %q: got %q, want %q", tt.key, got, want)
		}
		back, err := flattenYAML([]byte(got))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]pair{{"P:" + tt.key, "v"}}, revealAll(back)); diff != "" {
			t.Errorf("key %q read back (-want +got):\n%s", tt.key, diff)
		}
	}
}

func TestEmptyDocuments(t *testing.T) {
	for f, want := range map[output.Format]string{
		output.FormatJSON: "{}\n", output.FormatYAML: "{}\n", output.FormatEnv: "", output.FormatProperties: "",
	} {
		b, problems, err := output.Encode(f, nil, nil)
		if err != nil || problems != nil || string(b) != want {
			t.Errorf("%s: got %q, %v, %v; want %q", f, b, problems, err, want)
		}
	}
}

// TestJSONIsValidAndTyped checks the JSON of the rich input with
// encoding/json: valid, every leaf a string.
func TestJSONIsValidAndTyped(t *testing.T) {
	b, _, err := output.Encode(output.FormatJSON, []source.Entry{e("A:0", "1"), e("A:1", "true"), e("B", "null")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	want := map[string]any{"A": []any{"1", "true"}, "B": "null"}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
}

func TestFormats(t *testing.T) {
	for _, s := range []string{"json", "yaml", "env", "properties", "template"} {
		f, err := output.ParseFormat(s)
		if err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v", s, f, err)
		}
	}
	if _, err := output.ParseFormat("JSON"); err == nil || !contains(err.Error(), "json, yaml") && !contains(err.Error(), "[json yaml") {
		t.Errorf("ParseFormat(JSON) error = %v, want one listing the formats", err)
	}
	if _, _, err := output.Encode("toml", nil, nil); err == nil || !contains(err.Error(), `"toml"`) {
		t.Errorf("Encode(toml) error = %v", err)
	}
	if _, _, err := output.Encode(output.FormatTemplate, nil, nil); err == nil {
		t.Error("Encode(template) without a template succeeded")
	}
}

// TestEncodeErrorsCarryNoValue: an encoder error names keys, never values.
func TestEncodeErrorsCarryNoValue(t *testing.T) {
	const v = "hunter2-secret-value"
	_, _, err := output.Encode(output.FormatEnv, []source.Entry{{Key: "bad-key", Value: secret.New(v), Secret: true}}, nil)
	if err == nil || contains(err.Error(), v) {
		t.Errorf("err = %v", err)
	}
}
