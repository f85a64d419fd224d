package output_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/output"
)

// dirNames lists the names in dir, to prove no temp file is left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func mustWrite(t *testing.T, path string, data []byte, mode fs.FileMode) bool {
	t.Helper()
	changed, err := output.Write(path, data, mode)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return changed
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "appsettings.json")

	if !mustWrite(t, path, []byte("one"), 0o440) {
		t.Error("first write: changed = false")
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !mustWrite(t, path, []byte("two"), 0o440) {
		t.Error("new content: changed = false")
	}
	if got, _ := os.ReadFile(path); string(got) != "two" {
		t.Errorf("content = %q, want two", got)
	}
	after, _ := os.Stat(path)
	if os.SameFile(before, after) {
		t.Error("new content written in place, want a new inode (rename)")
	}
	if diff := cmp.Diff([]string{"appsettings.json"}, dirNames(t, dir)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
}

// TestWriteUnchanged: same bytes and mode → no write at all (same inode,
// same modification time).
func TestWriteUnchanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	mustWrite(t, path, []byte("same"), 0o440)
	before, _ := os.Stat(path)
	if mustWrite(t, path, []byte("same"), 0o440) {
		t.Error("identical content: changed = true")
	}
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) || !before.ModTime().Equal(after.ModTime()) {
		t.Error("identical content was rewritten")
	}
}

// TestWriteModeOnly: same bytes, another mode → the file is replaced with
// the new mode and changed is true.
func TestWriteModeOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	mustWrite(t, path, []byte("x"), 0o640)
	if !mustWrite(t, path, []byte("x"), 0o440) {
		t.Error("mode change: changed = false")
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o440 {
		t.Errorf("mode = %v, want 0440", info.Mode().Perm())
	}
}

// TestWriteReplacesSymlink: a symlink at path is replaced by a regular file
// (never written through), and not mistaken for unchanged content.
func TestWriteReplacesSymlink(t *testing.T) {
	dir := t.TempDir()
	target, path := filepath.Join(dir, "target"), filepath.Join(dir, "f")
	if err := os.WriteFile(target, []byte("x"), 0o440); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	if !mustWrite(t, path, []byte("x"), 0o440) {
		t.Error("symlink: changed = false")
	}
	if info, _ := os.Lstat(path); !info.Mode().IsRegular() {
		t.Errorf("path is %v, want a regular file", info.Mode())
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := output.Write(filepath.Join(dir, "f"), nil, 0o4440); err == nil || !strings.Contains(err.Error(), "permissions") {
		t.Errorf("setuid mode: err = %v", err)
	}
	_, err := output.Write(filepath.Join(dir, "missing", "f"), []byte("x"), 0o440)
	if err == nil || !strings.Contains(err.Error(), "create temp file") || !strings.Contains(err.Error(), "missing/f") {
		t.Errorf("missing directory: err = %v, want the step and the path", err)
	}
}

// TestWriteConcurrentReader: while the writer alternates two large
// contents, a reader reading the file in a loop sees one of them, complete,
// every time.
func TestWriteConcurrentReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "appsettings.json")
	contents := [][]byte{
		bytes.Repeat([]byte("a"), 1<<20),
		bytes.Repeat([]byte("bb"), 3<<18),
	}
	mustWrite(t, path, contents[0], 0o440)

	var reads atomic.Int64
	stop := make(chan struct{})
	bad := make(chan string, 1)
	go func() {
		defer close(bad)
		for {
			select {
			case <-stop:
				return
			default:
			}
			got, err := os.ReadFile(path)
			if err != nil {
				bad <- "read: " + err.Error()
				return
			}
			if !bytes.Equal(got, contents[0]) && !bytes.Equal(got, contents[1]) {
				bad <- fmt.Sprintf("read partial or mixed content (%d bytes)", len(got))
				return
			}
			reads.Add(1)
		}
	}()

	const writes = 40
	for i := 1; i <= writes; i++ {
		if !mustWrite(t, path, contents[i%2], 0o440) {
			t.Fatalf("write %d: changed = false", i)
		}
		// Let the reader complete a read of this version before the next
		// write, so reads overlap every write (polling, no sleep).
		seen, deadline := reads.Load(), time.Now().Add(10*time.Second)
		for reads.Load() == seen {
			select {
			case msg := <-bad:
				t.Fatalf("after write %d: %s", i, msg)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatal("reader made no progress")
			}
			runtime.Gosched()
		}
	}
	close(stop)
	if msg, ok := <-bad; ok {
		t.Fatal(msg)
	}
	if diff := cmp.Diff([]string{"appsettings.json"}, dirNames(t, filepath.Dir(path))); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.json")
	for _, name := range []string{"app.json", ".app.json.tmp-123", ".app.json.tmp-456", ".other.json.tmp-1", "keep"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n, err := output.RemoveTemps(path)
	if err != nil || n != 2 {
		t.Errorf("RemoveTemps = %d, %v; want 2, nil", n, err)
	}
	if diff := cmp.Diff([]string{".other.json.tmp-1", "app.json", "keep"}, dirNames(t, dir)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
	if n, err := output.RemoveTemps(filepath.Join(dir, "nodir", "x")); n != 0 || err != nil {
		t.Errorf("missing directory: %d, %v", n, err)
	}
}
