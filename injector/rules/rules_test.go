package rules_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/fig-injector/fig-injector/injector/rules"
)

func TestKeyVaultNames(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		rule string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"secret", rules.SecretName, "db-password", true},
		{"secret", rules.SecretName, "Db-Password-2", true},
		{"secret", rules.SecretName, long(127), true},
		{"secret", rules.SecretName, long(128), false},
		{"secret", rules.SecretName, "", false},
		{"secret", rules.SecretName, "a_b", false},
		{"secret", rules.SecretName, "a.b", false},
		{"secret", rules.SecretName, "a/b", false},
		{"prefix", rules.SecretNamePrefix, "OrderService--", true},
		{"prefix", rules.SecretNamePrefix, long(126), true},
		{"prefix", rules.SecretNamePrefix, long(127), false},
		{"prefix", rules.SecretNamePrefix, "", false},
		{"prefix", rules.SecretNamePrefix, "a:b", false},
		{"version", rules.SecretVersion, "0123456789abcdef0123456789abcdef", true},
		{"version", rules.SecretVersion, long(64), true},
		{"version", rules.SecretVersion, long(65), false},
		{"version", rules.SecretVersion, "v-1", false},
		{"version", rules.SecretVersion, "", false},
		{"vault", rules.VaultName, "orders-kv", true},
		{"vault", rules.VaultName, "abc", true},
		{"vault", rules.VaultName, "a" + long(23), true},
		{"vault", rules.VaultName, "a" + long(24), false},
		{"vault", rules.VaultName, "ab", false},
		{"vault", rules.VaultName, "1kv", false},
		{"vault", rules.VaultName, "kv-", false},
		{"vault", rules.VaultName, "orders--kv", false},
	}
	for _, tc := range tests {
		if got := tc.fn(tc.in); got != tc.want {
			t.Errorf("%s rule on %q = %v, want %v", tc.rule, tc.in, got, tc.want)
		}
	}
}

func TestClientName(t *testing.T) {
	tests := []struct {
		in, want string // want: "" accepted, else a part of the error
	}{
		{"OrderService", ""},
		{"Order Service-2_x", ""},
		{strings.Repeat("a", 255), ""},
		{strings.Repeat("é", 255), ""}, // 255 UTF-16 units, 510 bytes
		{strings.Repeat("a", 256), "is longer than 255 characters"},
		{strings.Repeat("😀", 128), "is longer than 255 characters (256; Fig allows at most 255)"}, // UTF-16 units
		{"", "is required"},
		{" \t", "is required"},
		{"Order.Service", `"Order.Service" contains a character Fig forbids, "." (Fig forbids ^ $ . * + ? ( ) { } [ ] \ | in client names)`},
	}
	for _, c := range `^$.*+?(){}[]\|` {
		tests = append(tests, struct{ in, want string }{"a" + string(c) + "b", "contains a character Fig forbids"})
	}
	for _, tc := range tests {
		err := rules.ClientName(tc.in)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("ClientName(%q) = %v", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("ClientName(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
	if !errors.Is(rules.ClientName(""), rules.ErrNoClientName) {
		t.Error("an empty name is not ErrNoClientName")
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{{"json", true}, {"yaml", true}, {"env", true}, {"properties", true}, {"template", true}, {"JSON", false}, {"xml", false}, {"", false}} {
		if got := rules.Format(tc.in); got != tc.want {
			t.Errorf("Format(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if got := rules.FormatsText(); got != "json, yaml, env, properties, template" {
		t.Errorf("FormatsText() = %q", got)
	}
}

// TestFileMode: the cases of output's former ParseMode test.
func TestFileMode(t *testing.T) {
	tests := []struct {
		in      string
		want    fs.FileMode
		wantErr string
	}{
		{"0440", 0o440, ""},
		{"440", 0o440, ""},
		{"0o440", 0o440, ""},
		{"0o0640", 0o640, ""},
		{"0777", 0o777, ""},
		{"0400", 0o400, ""},
		{"0040", 0, "owner must be able to read"},
		{"0200", 0, "owner must be able to read"},
		{"1777", 0, "octal permission"},
		{"4440", 0, "octal permission"},
		{"0448", 0, "octal permission"},
		{"44", 0, "octal permission"},
		{"00440", 0, "octal permission"},
		{"", 0, "octal permission"},
		{"rw-r-----", 0, "octal permission"},
		{" 0440", 0, "octal permission"},
	}
	for _, tt := range tests {
		got, err := rules.FileMode(tt.in)
		if tt.wantErr == "" {
			if err != nil || got != tt.want {
				t.Errorf("FileMode(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `"`+tt.in+`"`) {
			t.Errorf("FileMode(%q) error = %v, want one quoting the input and containing %q", tt.in, err, tt.wantErr)
		}
	}
}

// TestSignal: the cases of notify's former ParseSignal test.
func TestSignal(t *testing.T) {
	tests := []struct {
		in      string
		want    syscall.Signal
		wantErr bool
	}{
		{in: "SIGHUP", want: syscall.SIGHUP},
		{in: "HUP", want: syscall.SIGHUP},
		{in: "1", want: syscall.SIGHUP},
		{in: " sighup ", want: syscall.SIGHUP},
		{in: "usr1", want: syscall.SIGUSR1},
		{in: "SIGUSR2", want: syscall.SIGUSR2},
		{in: "SIGTERM", want: syscall.SIGTERM},
		{in: "15", want: syscall.SIGTERM},
		{in: "64", want: syscall.Signal(64)},
		{in: "", wantErr: true},
		{in: "0", wantErr: true},
		{in: "65", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "SIGNOPE", wantErr: true},
		{in: "SIG", wantErr: true},
	}
	for _, tt := range tests {
		got, err := rules.Signal(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Signal(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && !rules.ValidSignal(got) {
			t.Errorf("ValidSignal(%d) = false for a parsed signal", got)
		}
	}
	if n := rules.SignalName(syscall.SIGUSR2); n != "SIGUSR2" {
		t.Errorf("SignalName(SIGUSR2) = %q", n)
	}
	if n := rules.SignalName(35); n != "signal 35" {
		t.Errorf("SignalName(35) = %q", n)
	}
	for _, name := range append(append([]string{}, rules.ReloadSignals...), rules.RestartSignals...) {
		if _, err := rules.Signal(name); err != nil {
			t.Errorf("listed signal %s does not parse: %v", name, err)
		}
	}
}

func TestEndsProcess(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{{"", true}, {"SIGTERM", true}, {"term", true}, {"15", true}, {"SIGINT", true}, {"QUIT", true}, {"SIGKILL", true},
		{"SIGHUP", false}, {"USR1", false}, {"1", false}, {"SIGFOO", false}} {
		if got := rules.EndsProcess(tc.in); got != tc.want {
			t.Errorf("EndsProcess(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestDecodeYAML(t *testing.T) {
	type inner struct {
		Path string `json:"path"`
	}
	type doc struct {
		Name  string  `json:"name"`
		Items []inner `json:"items"`
	}
	fixes := rules.YAMLFixes{Syntax: "check indentation", Type: "check the type", Fields: "remove the field"}
	tests := []struct {
		name, in string
		problem  rules.YAMLProblem
		want     string
	}{
		{"not yaml", "name: [", rules.YAMLSyntax, "not valid YAML: yaml: line 1: did not find expected node content; fix: check indentation"},
		{"duplicate key", "name: a\nname: b\n", rules.YAMLSyntax, `already set in map; fix: check indentation`},
		{"wrong type", "name: [a]\n", rules.YAMLType, "cannot unmarshal array into Go struct field doc.name of type string; fix: check the type"},
		{"unknown field with path", "items: [{path: a, paht: b}]\n", rules.YAMLFields, `unknown field "items[0].paht"; fix: remove the field`},
		{"case-sensitive", "Name: a\n", rules.YAMLFields, `unknown field "Name"; fix: remove the field`},
		{"two problems", "nam: a\nitem: []\n", rules.YAMLFields, `unknown field "item"; unknown field "nam"; fix: remove the field`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := rules.DecodeYAML([]byte(tc.in), &d, fixes)
			var ye *rules.YAMLError
			if !errors.As(err, &ye) || ye.Problem != tc.problem || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("DecodeYAML(%q) = %v (%#v), want problem %d and %q", tc.in, err, ye, tc.problem, tc.want)
			}
		})
	}
	var d doc
	if err := rules.DecodeYAML([]byte("name: a\nitems: [{path: /x}]\n"), &d, fixes); err != nil || d.Name != "a" || d.Items[0].Path != "/x" {
		t.Errorf("valid document: %+v, %v", d, err)
	}
	var te *json.UnmarshalTypeError
	if err := rules.DecodeYAML([]byte("name: [a]\n"), &d, rules.YAMLFixes{}); !errors.As(err, &te) || te.Field != "name" || strings.Contains(err.Error(), "fix:") {
		t.Errorf("a type error without a fix: %v, want a *json.UnmarshalTypeError on name and no fix", err)
	}
}
