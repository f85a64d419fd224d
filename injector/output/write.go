package output

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// WriteFunc is the shape of Write. The agent holds one so that tests can
// swap in a writer that fails like a full disk.
type WriteFunc func(path string, data []byte, mode fs.FileMode) (changed bool, err error)

var _ WriteFunc = Write

// tempPattern is the os.CreateTemp pattern for path's base name: a hidden
// file next to the target, so the rename stays on one filesystem and readers
// globbing "*.json" never see it.
func tempPattern(base string) string { return "." + base + ".tmp-*" }

// Write puts data at path with permissions mode so that a reader sees the old
// file or the new one, never a partial one, and reports whether it wrote.
//
// The protocol, each step marked (n) in the body:
//
//  1. Compare: if path is a regular file with the same bytes and the same
//     permissions, return changed=false and touch nothing.
//  2. Create a temp file ".<base>.tmp-XXXX" in path's directory (same
//     filesystem, so the rename below is atomic).
//  3. Write data to it.
//  4. fsync it, so the bytes are on disk before any name points to them.
//  5. chmod it to mode explicitly, so the umask cannot narrow or widen it.
//  6. Close it.
//  7. Rename it over path: readers switch from the old inode to the new one
//     in one step.
//  8. fsync the directory, so the rename itself survives a crash
//     (filesystems that cannot sync a directory, EINVAL/ENOTSUP, are
//     accepted as synced).
//
// If any of steps 2-7 fails, the temp file is removed and the old file is
// left untouched; the error names the failing step and wraps the cause
// (errors.Is(err, syscall.ENOSPC) finds a full disk). If only step 8 fails
// the new file is already in place: Write returns changed=true together with
// the error, so the caller still notifies the app.
//
// changed is true whenever the file was replaced, including a mode-only
// correction. Write does not serialise concurrent calls for the same path;
// the caller must (the agent has one writer per output). Mode must hold
// permission bits only.
func Write(path string, data []byte, mode fs.FileMode) (changed bool, err error) {
	return write(osFS{}, path, data, mode)
}

func write(fsys fileSystem, path string, data []byte, mode fs.FileMode) (changed bool, err error) {
	if mode&^fs.ModePerm != 0 {
		return false, fmt.Errorf("write %s: mode %v has bits other than permissions", path, mode)
	}
	fail := func(step string, err error) error { return fmt.Errorf("write %s: %s: %w", path, step, err) }

	// (1) Compare with the existing file.
	if unchanged(fsys, path, data, mode) {
		return false, nil
	}

	// (2) Temp file in the same directory.
	dir := filepath.Dir(path)
	f, err := fsys.CreateTemp(dir, tempPattern(filepath.Base(path)))
	if err != nil {
		return false, fail("create temp file", err)
	}
	tmp, open, renamed := f.Name(), true, false
	defer func() {
		if renamed {
			return
		}
		if open {
			_ = f.Close() // the write already failed; its error is the one to report
		}
		if rmErr := fsys.Remove(tmp); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			err = errors.Join(err, fail("remove temp file", rmErr))
		}
	}()

	// (3) Write.
	if _, err := f.Write(data); err != nil {
		return false, fail("write temp file", err)
	}
	// (4) fsync.
	if err := f.Sync(); err != nil {
		return false, fail("fsync temp file", err)
	}
	// (5) chmod, explicitly: CreateTemp made it 0600 minus the umask.
	if err := f.Chmod(mode); err != nil {
		return false, fail("chmod temp file", err)
	}
	// (6) Close; a close error can be a deferred write error (NFS, quotas).
	open = false
	if err := f.Close(); err != nil {
		return false, fail("close temp file", err)
	}
	// (7) Rename over the target.
	if err := fsys.Rename(tmp, path); err != nil {
		return false, fail("rename temp file", err)
	}
	renamed = true
	// (8) fsync the directory.
	if err := fsys.SyncDir(dir); err != nil {
		return true, fail("fsync directory", err)
	}
	return true, nil
}

// unchanged reports whether path already is a regular file holding data with
// permissions mode. Any error (missing, unreadable) means "write it".
func unchanged(fsys fileSystem, path string, data []byte, mode fs.FileMode) bool {
	info, err := fsys.Lstat(path)
	if err != nil || !info.Mode().IsRegular() || info.Mode().Perm() != mode || info.Size() != int64(len(data)) {
		return false
	}
	old, err := fsys.ReadFile(path)
	return err == nil && bytes.Equal(old, data)
}
