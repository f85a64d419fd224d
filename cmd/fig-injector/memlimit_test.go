package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"testing"
)

// cgroupDir writes files (name → content) under a fresh directory standing
// for /sys/fs/cgroup.
func cgroupDir(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestContainerMemoryLimit(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		limit   int64
		ok, err bool
	}{
		{"cgroup v2", map[string]string{"memory.max": "100663296\n"}, 96 << 20, true, false},
		{"cgroup v2 without a limit", map[string]string{"memory.max": "max\n"}, 0, false, false},
		{"cgroup v1", map[string]string{"memory/memory.limit_in_bytes": "100663296\n"}, 96 << 20, true, false},
		{"cgroup v1 without a limit", map[string]string{"memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0, false, false},
		{"v2 wins over v1", map[string]string{"memory.max": "1048576", "memory/memory.limit_in_bytes": "2097152"}, 1 << 20, true, false},
		{"no cgroup", nil, 0, false, false},
		{"garbage", map[string]string{"memory.max": "lots"}, 0, false, true},
		{"zero", map[string]string{"memory.max": "0"}, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit, ok, err := containerMemoryLimit(cgroupDir(t, tt.files))
			if limit != tt.limit || ok != tt.ok || (err != nil) != tt.err {
				t.Errorf("containerMemoryLimit = %d, %v, %v; want %d, %v, error %v", limit, ok, err, tt.limit, tt.ok, tt.err)
			}
		})
	}
}

// TestApplyMemoryLimitSetsGOMEMLIMIT is issue 12 item 10: the agent ran
// without a Go memory limit under its container's limit. It now sets one
// from the cgroup, unless GOMEMLIMIT says otherwise.
func TestApplyMemoryLimitSetsGOMEMLIMIT(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	root := cgroupDir(t, map[string]string{"memory.max": strconv.Itoa(96 << 20)})
	log := slog.New(slog.DiscardHandler)

	debug.SetMemoryLimit(before)
	if got := applyMemoryLimit(root, func(string) string { return "" }, log); got != 96<<20 {
		t.Errorf("limit = %d, want 96 MiB", got)
	}
	if got, want := debug.SetMemoryLimit(-1), int64(72<<20); got != want {
		t.Errorf("Go memory limit = %d, want %d (3/4 of the container's)", got, want)
	}

	debug.SetMemoryLimit(before)
	explicit := func(k string) string {
		if k == "GOMEMLIMIT" {
			return "50MiB"
		}
		return ""
	}
	if got := applyMemoryLimit(root, explicit, log); got != 96<<20 {
		t.Errorf("limit = %d, want 96 MiB", got)
	}
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("Go memory limit = %d with GOMEMLIMIT set, want it untouched (%d)", got, before)
	}
}

// FuzzParseMemoryLimit: a limit is positive and below noLimit, and reads
// back the same from its decimal text.
func FuzzParseMemoryLimit(f *testing.F) {
	for _, s := range []string{"100663296\n", "max\n", "9223372036854771712", "-1", "", " 42 ", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		limit, ok, err := parseMemoryLimit(s)
		if ok && (err != nil || limit <= 0 || limit >= noLimit) {
			t.Fatalf("parseMemoryLimit(%q) = %d, %v, %v", s, limit, ok, err)
		}
		if !ok && limit != 0 {
			t.Fatalf("parseMemoryLimit(%q) = %d without a limit", s, limit)
		}
		if ok {
			if again, ok2, _ := parseMemoryLimit(strconv.FormatInt(limit, 10)); again != limit || !ok2 {
				t.Fatalf("%d does not read back: %d, %v", limit, again, ok2)
			}
		}
	})
}
