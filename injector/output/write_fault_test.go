package output

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// faultFS is the real filesystem with one step made to fail, and a record of
// the directories it synced.
type faultFS struct {
	osFS
	step   string // the step to fail, as named in Write's errors
	err    error
	synced []string
}

func (f *faultFS) CreateTemp(dir, pattern string) (tempFile, error) {
	if f.step == "create temp file" {
		return nil, f.err
	}
	t, err := f.osFS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{tempFile: t, fs: f}, nil
}

func (f *faultFS) Rename(oldpath, newpath string) error {
	if f.step == "rename temp file" {
		return f.err
	}
	return f.osFS.Rename(oldpath, newpath)
}

func (f *faultFS) Remove(name string) error {
	if f.step == "remove temp file" {
		return f.err
	}
	return f.osFS.Remove(name)
}

func (f *faultFS) SyncDir(dir string) error {
	f.synced = append(f.synced, dir)
	if f.step == "fsync directory" {
		return f.err
	}
	return f.osFS.SyncDir(dir)
}

// faultFile fails one of the temp file's steps. A failing write first
// writes half the data, as a disk that fills up mid-write does.
type faultFile struct {
	tempFile
	fs *faultFS
}

func (f *faultFile) Write(b []byte) (int, error) {
	if f.fs.step == "write temp file" {
		n, _ := f.tempFile.Write(b[:len(b)/2])
		return n, f.fs.err
	}
	return f.tempFile.Write(b)
}

func (f *faultFile) Sync() error {
	if f.fs.step == "fsync temp file" {
		return f.fs.err
	}
	return f.tempFile.Sync()
}

func (f *faultFile) Chmod(mode fs.FileMode) error {
	if f.fs.step == "chmod temp file" {
		return f.fs.err
	}
	return f.tempFile.Chmod(mode)
}

func (f *faultFile) Close() error {
	err := f.tempFile.Close() // really close, so no descriptor leaks
	if f.fs.step == "close temp file" {
		return f.fs.err
	}
	return err
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestWriteFailureKeepsOldFile fails each of steps 2-7 in turn (as a full
// disk would, ENOSPC) and checks that the old file is byte-identical with
// its mode, no temp file is left, changed is false, and the error names the
// step and wraps the cause.
func TestWriteFailureKeepsOldFile(t *testing.T) {
	steps := []string{"create temp file", "write temp file", "fsync temp file", "chmod temp file", "close temp file", "rename temp file"}
	for _, step := range steps {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "appsettings.json")
			old := []byte(`{"old": "content"}`)
			if err := os.WriteFile(path, old, 0o440); err != nil {
				t.Fatal(err)
			}
			fsys := &faultFS{step: step, err: syscall.ENOSPC}

			changed, err := write(fsys, path, []byte(`{"new": "content, longer than the old one"}`), 0o440)
			if changed {
				t.Error("changed = true after a failed write")
			}
			if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), step) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v, want ENOSPC wrapped with %q and the path", err, step)
			}
			got, _ := os.ReadFile(path)
			if diff := cmp.Diff(string(old), string(got)); diff != "" {
				t.Errorf("old file changed (-want +got):\n%s", diff)
			}
			if info, _ := os.Stat(path); info.Mode().Perm() != 0o440 {
				t.Errorf("old file mode = %v", info.Mode().Perm())
			}
			if diff := cmp.Diff([]string{"appsettings.json"}, names(t, dir)); diff != "" {
				t.Errorf("temp file left behind (-want +got):\n%s", diff)
			}
			if len(fsys.synced) != 0 {
				t.Errorf("directory synced after a failed write: %v", fsys.synced)
			}
		})
	}
}

// TestWriteFailureWithoutOldFile: a failed first write leaves no file and no
// temp file.
func TestWriteFailureWithoutOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if _, err := write(&faultFS{step: "rename temp file", err: syscall.EIO}, path, []byte("x"), 0o440); err == nil {
		t.Fatal("no error")
	}
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("directory not empty: %v", got)
	}
}

// TestWriteSyncsDirectory covers step 8: after the rename the directory is
// synced; if that fails, the new file is in place and changed is true, so
// the caller still notifies.
func TestWriteSyncsDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")

	fsys := &faultFS{}
	if changed, err := write(fsys, path, []byte("one"), 0o440); !changed || err != nil {
		t.Fatalf("write = %v, %v", changed, err)
	}
	if diff := cmp.Diff([]string{dir}, fsys.synced); diff != "" {
		t.Errorf("synced directories (-want +got):\n%s", diff)
	}
	if changed, _ := write(fsys, path, []byte("one"), 0o440); changed || len(fsys.synced) != 1 {
		t.Errorf("unchanged write: changed = %v, synced %v", changed, fsys.synced)
	}

	failing := &faultFS{step: "fsync directory", err: syscall.EIO}
	changed, err := write(failing, path, []byte("two"), 0o440)
	if !changed || !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "fsync directory") {
		t.Errorf("write = %v, %v; want changed and an fsync directory error", changed, err)
	}
	if got, _ := os.ReadFile(path); string(got) != "two" {
		t.Errorf("content = %q, want the new one", got)
	}
	if diff := cmp.Diff([]string{"f"}, names(t, dir)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
}

// TestWriteReportsFailedCleanup: if the temp file cannot be removed either,
// both errors are reported.
func TestWriteReportsFailedCleanup(t *testing.T) {
	fsys := &faultFS{step: "remove temp file", err: syscall.EROFS}
	// Make rename fail too, with its own error, by writing over a directory.
	dir := t.TempDir()
	target := filepath.Join(dir, "sub")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := write(fsys, target, []byte("x"), 0o440)
	if err == nil || !strings.Contains(err.Error(), "rename temp file") || !strings.Contains(err.Error(), "remove temp file") || !errors.Is(err, syscall.EROFS) {
		t.Errorf("err = %v, want both the rename and the cleanup failure", err)
	}
}
