package watch

import (
	"errors"
	"fmt"
	"slices"

	"github.com/fsnotify/fsnotify"
)

// refresh re-resolves f and watches the directories its new resolution
// reads. A directory can vanish between resolving and watching (a swap in
// progress); resolving again then sees the newer state. Callers hold w.mu.
func (w *Watcher) refresh(f *file) error {
	var err error
	for range 3 {
		var res resolution
		if res, err = resolve(f.abs); err != nil {
			return err
		}
		if err = w.move(f, res); err == nil {
			return nil
		}
	}
	return err
}

// move switches f to res, watching the directories res adds and releasing
// those it drops. On error f keeps its old resolution and watches. Callers
// hold w.mu.
func (w *Watcher) move(f *file, res resolution) error {
	var added []string
	for _, d := range res.dirs {
		if slices.Contains(f.res.dirs, d) {
			continue
		}
		if err := w.retain(d); err != nil {
			for _, a := range added {
				w.release(a)
			}
			return err
		}
		added = append(added, d)
	}
	for _, d := range f.res.dirs {
		if !slices.Contains(res.dirs, d) {
			w.release(d)
		}
	}
	f.res = res
	return nil
}

// retain watches dir for one more file (a polling Watcher only counts it).
// Callers hold w.mu.
func (w *Watcher) retain(dir string) error {
	if w.dirs[dir] == 0 && w.fs != nil {
		if err := w.fs.Add(dir); err != nil {
			return fmt.Errorf("watch directory %s: %w", dir, err)
		}
	}
	w.dirs[dir]++
	return nil
}

// release drops one file's interest in dir and stops watching it when none
// is left. A directory that was deleted has lost its watch already. Callers
// hold w.mu.
func (w *Watcher) release(dir string) {
	if w.dirs[dir]--; w.dirs[dir] > 0 {
		return
	}
	delete(w.dirs, dir)
	if w.fs == nil {
		return
	}
	if err := w.fs.Remove(dir); err != nil && !errors.Is(err, fsnotify.ErrNonExistentWatch) && !errors.Is(err, fsnotify.ErrClosed) {
		w.log.Debug("stop watching directory", "dir", dir, "error", err)
	}
}
