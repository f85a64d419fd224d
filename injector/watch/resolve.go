package watch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxLinks bounds symlink hops, as the kernel's ELOOP does.
const maxLinks = 40

// resolution is where a watched path leads now, and which directories must be
// watched to notice when that changes.
type resolution struct {
	// target is the real file the path resolves to, every symlink expanded,
	// or "" while some component of the path is missing.
	target string
	// dirs are the real directories whose entries the resolution read: the
	// one holding the last component, every one holding a symlink on the
	// way, and, when a component is missing, the deepest one that exists.
	// Any change to an entry in them may change target.
	dirs []string
}

// resolve follows the absolute, clean path component by component, as the
// kernel does, and records the directories it depends on. A missing
// component is not an error: the file may appear later, and the deepest
// existing directory is recorded so that its appearance is noticed.
func resolve(path string) (resolution, error) {
	var res resolution
	addDir := func(d string) {
		for _, have := range res.dirs {
			if have == d {
				return
			}
		}
		res.dirs = append(res.dirs, d)
	}

	todo := strings.Split(path, string(filepath.Separator))
	cur := string(filepath.Separator)
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			addDir(cur)
			return res, nil
		}
		if err != nil {
			return resolution{}, fmt.Errorf("resolve %s: %w", path, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if len(todo) == 0 {
				addDir(cur)
			}
			cur = next
			continue
		}
		addDir(cur)
		if links++; links > maxLinks {
			return resolution{}, fmt.Errorf("resolve %s: too many levels of symbolic links", path)
		}
		dest, err := os.Readlink(next)
		if err != nil {
			return resolution{}, fmt.Errorf("resolve %s: %w", path, err)
		}
		if filepath.IsAbs(dest) {
			cur = string(filepath.Separator)
		}
		todo = append(strings.Split(dest, string(filepath.Separator)), todo...)
	}
	res.target = cur
	return res, nil
}

// dependsOn reports whether an event on name can change this resolution or
// the content behind it: name is the real file, a directory the resolution
// read, or an entry in one of those directories.
func (r resolution) dependsOn(name string) bool {
	if name == r.target {
		return true
	}
	parent := filepath.Dir(name)
	for _, d := range r.dirs {
		if d == name || d == parent {
			return true
		}
	}
	return false
}
