package output_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/fig-injector/fig-injector/injector/merge"
	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/secret"
)

// benchInput is SPEC §5's sizing: 1,000 Fig settings and 100 secrets
// (50 Fig values that are Key Vault references, 30 prefix secrets, 20
// explicit mappings, some of them overriding Fig keys).
func benchInput() merge.Input {
	in := merge.Input{Resolved: map[string]secret.Value{}}
	for i := range 1000 {
		key := fmt.Sprintf("Section%02d:Sub%d:Setting%d", i%40, i%7, i)
		value := fmt.Sprintf("value %d with some text", i)
		if i%20 == 0 {
			value = fmt.Sprintf("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/s%d)", i)
			in.Resolved[value] = secret.New(fmt.Sprintf("secret-%d-%x", i, i*7919))
		}
		in.Fig = append(in.Fig, e(key, value))
	}
	for i := range 30 {
		in.Prefix = append(in.Prefix, e(fmt.Sprintf("Section%02d:Sub%d:Setting%d", i%40, i%7, i*3), "prefix-secret"))
	}
	for i := range 20 {
		in.Explicit = append(in.Explicit, e(fmt.Sprintf("Secrets:Item%d", i), "explicit-secret"))
	}
	return in
}

// BenchmarkMergeRender measures one render's CPU path: merge 1,000 Fig
// entries and 100 secrets, then encode JSON.
func BenchmarkMergeRender(b *testing.B) {
	in := benchInput()
	b.ReportAllocs()
	for b.Loop() {
		res := merge.Merge(in)
		if _, _, err := output.Encode(output.FormatJSON, res.Entries, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrite measures Write with the benchmark input's JSON: unchanged
// (compare only, the common case on every poll) and changed (the full
// protocol, alternating two contents).
func BenchmarkWrite(b *testing.B) {
	entries := merge.Merge(benchInput()).Entries
	first, _, _ := output.Encode(output.FormatJSON, entries, nil)
	entries[0].Value = secret.New("changed")
	second, _, _ := output.Encode(output.FormatJSON, entries, nil)

	b.Run("unchanged", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "appsettings.json")
		if _, err := output.Write(path, first, 0o440); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(first)))
		for b.Loop() {
			if changed, err := output.Write(path, first, 0o440); err != nil || changed {
				b.Fatal(changed, err)
			}
		}
	})
	b.Run("changed", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "appsettings.json")
		contents := [][]byte{first, second}
		b.SetBytes(int64(len(first)))
		i := 0
		for b.Loop() {
			i++
			if changed, err := output.Write(path, contents[i%2], 0o440); err != nil || !changed {
				b.Fatal(changed, err)
			}
		}
	})
}
