package output_test

import (
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/merge"
	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

// TestHigherPrecedenceWinsAfterNameMapping is issue 12 item 6: keys the
// merge keeps apart can become one name in a format. Fig's
// ConnectionStrings__Orders silently replaced Key Vault's
// ConnectionStrings:Orders in env output (its line came last), and Fig's
// Db:Password:x dropped Key Vault's Db:Password in json and yaml. The
// merge's precedence now decides after each format's own mapping.
func TestHigherPrecedenceWinsAfterNameMapping(t *testing.T) {
	kv := func(k, v string) source.Entry { return source.Entry{Key: k, Value: secret.New(v)} }
	tests := []struct {
		name     string
		format   output.Format
		fig      []source.Entry
		prefix   []source.Entry
		want     []string // substrings of the file
		notWant  []string
		problems []string // substrings of the problems, in order
	}{
		{
			name: "env: Fig's __ spelling against Key Vault's key", format: output.FormatEnv,
			fig:      []source.Entry{kv("ConnectionStrings__Orders", "fig-plain-text")},
			prefix:   []source.Entry{kv("ConnectionStrings:Orders", "Password=kv-secret")},
			want:     []string{"ConnectionStrings__Orders=Password=kv-secret\n"},
			notWant:  []string{"fig-plain-text"},
			problems: []string{`"ConnectionStrings__Orders": from fig is written as ConnectionStrings__Orders, as is "ConnectionStrings:Orders" from keyvault-prefix`},
		},
		{
			name: "env: the winner keeps its place whatever the sort order", format: output.FormatEnv,
			fig:     []source.Entry{kv("A:B", "fig")},
			prefix:  []source.Entry{kv("a__b", "kv")},
			want:    []string{"a__b=kv\n"},
			notWant: []string{"=fig"},
		},
		{
			name: "properties: Fig's dotted key against Key Vault's key", format: output.FormatProperties,
			fig:      []source.Entry{kv("Db.Password", "fig-plain-text")},
			prefix:   []source.Entry{kv("Db:Password", "kv-secret")},
			want:     []string{"Db.Password=kv-secret\n"},
			notWant:  []string{"fig-plain-text"},
			problems: []string{`"Db.Password": from fig is written as Db.Password`},
		},
		{
			name: "json: a Fig child under a Key Vault value", format: output.FormatJSON,
			fig:      []source.Entry{kv("Db:Password:x", "fig-child")},
			prefix:   []source.Entry{kv("Db:Password", "kv-secret")},
			want:     []string{`"Password": "kv-secret"`},
			notWant:  []string{"fig-child"},
			problems: []string{`"Db:Password": from keyvault-prefix has child keys of lower precedence ("Db:Password:x")`},
		},
		{
			name: "yaml: a Fig child under a Key Vault value", format: output.FormatYAML,
			fig:     []source.Entry{kv("Db:Password:x", "fig-child"), kv("Db:Host", "db")},
			prefix:  []source.Entry{kv("Db:Password", "kv-secret")},
			want:    []string{`Password: "kv-secret"`, `Host: "db"`},
			notWant: []string{"fig-child"},
		},
		{
			name: "json: a Key Vault child under a Fig value keeps the child", format: output.FormatJSON,
			fig:      []source.Entry{kv("Db", "fig-value")},
			prefix:   []source.Entry{kv("Db:Password", "kv-secret")},
			want:     []string{`"Password": "kv-secret"`},
			notWant:  []string{"fig-value"},
			problems: []string{`"Db": has a value and also child keys`},
		},
		{
			name: "env: equal precedence keeps the first in sorted order", format: output.FormatEnv,
			fig:      []source.Entry{kv("A:B", "colon"), kv("A__B", "underscores")},
			want:     []string{"A__B=colon\n"},
			notWant:  []string{"underscores"},
			problems: []string{`"A__B": from fig is written as A__B, as is "A:B" from fig`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := merge.Merge(merge.Input{Fig: tt.fig, Prefix: tt.prefix})
			b, problems, err := output.Encode(tt.format, res.Entries, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("file lacks %q:\n%s", w, b)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(string(b), w) {
					t.Errorf("file carries %q:\n%s", w, b)
				}
			}
			if len(problems) != len(tt.problems) && tt.problems != nil {
				t.Fatalf("problems %v, want %d", problems, len(tt.problems))
			}
			for i, w := range tt.problems {
				if !strings.Contains(problems[i].String(), w) {
					t.Errorf("problem %q lacks %q", problems[i], w)
				}
			}
		})
	}
}
