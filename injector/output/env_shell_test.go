package output_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/merge"
	"github.com/fig-injector/fig-injector/injector/output"
)

// TestEnvFileSourcedByShell sources the rich env file with the real
// /bin/sh (`set -a; . file`) and compares every variable with the merged
// value, byte for byte.
func TestEnvFileSourcedByShell(t *testing.T) {
	entries := merge.Merge(richInput()).Entries
	data, _, err := output.Encode(output.FormatEnv, entries, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "app.env")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", `set -a; . "$1"; exec env -0`, "sh", path)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	got := map[string]string{}
	for kv := range bytes.SplitSeq(bytes.TrimSuffix(out, []byte{0}), []byte{0}) {
		k, v, _ := strings.Cut(string(kv), "=")
		got[k] = v
	}
	want := map[string]string{}
	for _, x := range entries {
		want[strings.ReplaceAll(x.Key, ":", "__")] = x.Value.Reveal()
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			delete(got, k) // PATH, PWD, … set by the shell
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shell read different values (-want +got):\n%s", diff)
	}
}
