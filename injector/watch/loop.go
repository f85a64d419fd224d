package watch

import (
	"errors"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
)

// run turns fsnotify events, or what polling notices, into coalesced
// Events until Close.
func (w *Watcher) run() {
	defer close(w.exited)
	defer close(w.events)

	var (
		fsEvents <-chan fsnotify.Event
		fsErrors <-chan error
		poll     <-chan time.Time
	)
	if w.fs != nil {
		fsEvents, fsErrors = w.fs.Events, w.fs.Errors
	} else {
		t := time.NewTicker(w.pollEvery)
		defer t.Stop()
		poll = t.C
	}

	pending := newCoalescer(w.window)
	var ready []string // due paths not yet delivered, each once
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	arm := func() {
		if at, ok := pending.next(); ok {
			timer.Reset(time.Until(at))
		}
	}

	for {
		var out chan<- Event
		var next Event
		if len(ready) > 0 {
			out, next = w.events, Event{Path: ready[0]}
		}
		select {
		case <-w.done:
			return
		case now := <-poll:
			for _, p := range w.polled() {
				pending.add(p, now)
			}
			arm()
		case ev, ok := <-fsEvents:
			if !ok {
				return
			}
			now := time.Now()
			for _, p := range w.affected(ev) {
				pending.add(p, now)
			}
			arm()
		case err, ok := <-fsErrors:
			if !ok {
				return
			}
			if !errors.Is(err, fsnotify.ErrEventOverflow) {
				w.log.Warn("file watcher error", "error", err)
				continue
			}
			// Events were lost: report everything so the caller re-reads.
			w.log.Warn("file watcher queue overflowed; reporting every watched file", "error", err)
			now := time.Now()
			for _, p := range w.refreshAll() {
				pending.add(p, now)
			}
			arm()
		case now := <-timer.C:
			for _, p := range pending.take(now) {
				if !slices.Contains(ready, p) {
					ready = append(ready, p)
				}
			}
			arm()
		case out <- next:
			ready = ready[1:]
		}
	}
}

// affected returns the watched paths an fsnotify event may have changed, and
// moves directory watches where a symlink swap moved a resolution.
func (w *Watcher) affected(ev fsnotify.Event) []string {
	// Attribute changes alone never change content; atomic writers chmod
	// their temporary file and Linux sends one when a link count drops.
	if ev.Op&^fsnotify.Chmod == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, f := range w.files {
		if !f.res.dependsOn(ev.Name) {
			continue
		}
		old := f.res.target
		if err := w.refresh(f); err != nil {
			w.log.Warn("file watcher cannot resolve path; reporting it as changed", "path", f.name, "error", err)
			out = append(out, f.name)
			continue
		}
		if ev.Name == old || f.res.target != old {
			out = append(out, f.name)
		}
	}
	slices.Sort(out)
	if len(out) > 0 {
		// Only events that change a watched path are logged: a log file
		// written into a watched directory would otherwise log its own
		// writes, each line an event that logs another, for ever.
		w.log.Debug("file event", "name", ev.Name, "op", ev.Op.String(), "changed", out)
	}
	return out
}

// refreshAll re-resolves every watched path and returns them all.
func (w *Watcher) refreshAll() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.files))
	for _, f := range w.files {
		if err := w.refresh(f); err != nil {
			w.log.Warn("file watcher cannot resolve path", "path", f.name, "error", err)
		}
		out = append(out, f.name)
	}
	slices.Sort(out)
	return out
}
