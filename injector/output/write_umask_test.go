//go:build unix

package output_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteModeDespiteUmask: the mode is applied explicitly, so a umask
// can neither narrow 0440 nor stop a wider mode. The umask is per process:
// this test must not run in parallel with others.
func TestWriteModeDespiteUmask(t *testing.T) {
	old := syscall.Umask(0o277)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := t.TempDir()
	for _, mode := range []fs.FileMode{0o440, 0o644, 0o400} {
		path := filepath.Join(dir, mode.String())
		mustWrite(t, path, []byte("x"), mode)
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != mode {
			t.Errorf("mode = %v, want %v despite umask 0277", info.Mode().Perm(), mode)
		}
	}
}
