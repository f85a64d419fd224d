package output_test

import (
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/source"
)

var fuzzSeeds = []struct{ key, value string }{
	{"A:B", "plain"},
	{"A", ""},
	{"A", "it's \"q\" $x `y` \\ \n\r\t 日本 😀"},
	{"a-b", "x"},
	{"9", "x"},
	{"A", "'"},
	{"A", "a\x00b"},
	{"k y:=#!", "  lead"},
	{"A", "\xff\xfe"},
}

// FuzzEnv: the env encoder never panics, refuses exactly the invalid names
// and NUL values, and otherwise a shell-like reader reads the value back
// byte for byte.
func FuzzEnv(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.key, s.value)
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		b, _, err := output.Encode(output.FormatEnv, []source.Entry{e(key, value)}, nil)
		name := strings.ReplaceAll(key, ":", "__")
		valid := validEnvName(name) && !strings.Contains(value, "\x00")
		if !valid {
			if err == nil {
				t.Fatalf("accepted key %q value %q: %q", key, value, b)
			}
			return
		}
		if err != nil {
			t.Fatalf("refused key %q: %v", key, err)
		}
		back, err := readEnv(string(b))
		if err != nil {
			t.Fatalf("reading %q: %v", b, err)
		}
		if len(back) != 1 || back[0].Key != name || back[0].Value != value {
			t.Fatalf("wrote %q, read back %q, want %q=%q", b, back, name, value)
		}
	})
}

// FuzzProperties: the properties encoder never panics, writes printable
// ASCII only, and a Properties.load-like reader reads key and value back
// (invalid UTF-8 as U+FFFD).
func FuzzProperties(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.key, s.value)
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		b, _, err := output.Encode(output.FormatProperties, []source.Entry{e(key, value)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range b[:len(b)-1] {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("non-printable byte %#x in %q", c, b)
			}
		}
		back, err := readProperties(string(b))
		if err != nil {
			t.Fatalf("reading %q: %v", b, err)
		}
		wantKey := string([]rune(strings.ReplaceAll(key, ":", ".")))
		if len(back) != 1 || back[0].Key != wantKey || back[0].Value != string([]rune(value)) {
			t.Fatalf("wrote %q, read back %q, want %q=%q", b, back, wantKey, value)
		}
	})
}

func validEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == ""
}
