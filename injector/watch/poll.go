package watch

import (
	"os"
	"slices"
	"time"
)

// DefaultPollInterval is how often a polling Watcher (no inotify instance to
// be had, see New) looks at its files. The files it watches change rarely
// (a config or secret rotation) and a look is a few stats, so a second is
// cheap and still prompt.
const DefaultPollInterval = time.Second

// stamp is what polling compares to notice a change: where the path leads,
// and the identity (device and inode), size and modification time of the
// file there (info is nil while the path leads nowhere). A rename over the
// file changes the inode; a write in place changes the time and, mostly,
// the size; a symlink swap changes the target.
type stamp struct {
	target string
	info   os.FileInfo
}

// stampOf stamps a resolution.
func stampOf(res resolution) stamp {
	s := stamp{target: res.target}
	if res.target != "" {
		if fi, err := os.Stat(res.target); err == nil {
			s.info = fi
		}
	}
	return s
}

// same reports whether two stamps describe the same file content.
func (s stamp) same(o stamp) bool {
	if s.target != o.target || (s.info == nil) != (o.info == nil) {
		return false
	}
	if s.info == nil {
		return true
	}
	return os.SameFile(s.info, o.info) && s.info.Size() == o.info.Size() && s.info.ModTime().Equal(o.info.ModTime())
}

// polled re-resolves and re-stamps every watched path and returns those
// whose stamp changed since the last look.
func (w *Watcher) polled() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, f := range w.files {
		res, err := resolve(f.abs)
		if err != nil {
			w.log.Warn("file watcher cannot resolve path; reporting it as changed", "path", f.name, "error", err)
			out = append(out, f.name)
			continue
		}
		st := stampOf(res)
		if !st.same(f.stamp) {
			out = append(out, f.name)
		}
		f.res, f.stamp = res, st
	}
	slices.Sort(out)
	return out
}
