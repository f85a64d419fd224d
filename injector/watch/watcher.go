package watch

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultWindow is how long a burst of filesystem events for one path is
// collected before it is reported. Editors and atomic writers finish within a
// few milliseconds; 50 ms leaves room for that and stays well inside the
// 100 ms change-to-file budget (SPEC §5).
const DefaultWindow = 50 * time.Millisecond

// ErrClosed is returned by Add after Close.
var ErrClosed = errors.New("watcher closed")

// Event reports that a watched path may have changed: written, replaced,
// removed, created, or re-pointed by a symlink swap.
type Event struct {
	// Path is the path exactly as it was given to Add.
	Path string
}

// Option adjusts a Watcher.
type Option func(*Watcher)

// WithPolling makes the Watcher poll its files every d instead of asking
// the kernel for inotify events (DefaultPollInterval if d <= 0). New falls
// back to it by itself when no inotify instance can be had.
func WithPolling(d time.Duration) Option {
	return func(w *Watcher) {
		w.polling = true
		if d > 0 {
			w.pollEvery = d
		}
	}
}

// withNotify replaces fsnotify.NewWatcher, so tests can make it fail.
func withNotify(f func() (*fsnotify.Watcher, error)) Option {
	return func(w *Watcher) { w.newNotify = f }
}

// WithWindow sets the coalescing window (DefaultWindow if d <= 0). Tests use
// a short one; a longer one trades latency for fewer events.
func WithWindow(d time.Duration) Option {
	return func(w *Watcher) {
		if d > 0 {
			w.window = d
		}
	}
}

// Watcher reports changes of the files added to it on Events. It is safe for
// concurrent use. Events must be drained: a Watcher never drops an Event, it
// waits for the reader (paths that change again meanwhile are reported once).
type Watcher struct {
	log       *slog.Logger
	window    time.Duration
	fs        *fsnotify.Watcher // nil when polling
	polling   bool
	pollEvery time.Duration
	newNotify func() (*fsnotify.Watcher, error)
	events    chan Event
	done      chan struct{} // closed by Close
	exited    chan struct{} // closed when run returns

	closeOnce sync.Once
	closeErr  error

	mu     sync.Mutex
	closed bool
	files  map[string]*file // absolute path → file
	dirs   map[string]int   // watched directory → files whose resolution reads it
}

// file is one watched path.
type file struct {
	name  string // as given to Add; what Events report
	abs   string
	res   resolution
	stamp stamp // what polling last saw
}

// New starts a Watcher. Close it to release its inotify descriptor.
//
// Without an inotify instance (the kernel's fs.inotify.max_user_instances
// counts per UID across a node, and every agent runs as the same UID), it
// logs a warning and polls instead: a busy node degrades the agent to
// noticing file changes within DefaultPollInterval rather than failing it.
func New(logger *slog.Logger, opts ...Option) (*Watcher, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{
		log:       logger,
		window:    DefaultWindow,
		pollEvery: DefaultPollInterval,
		newNotify: fsnotify.NewWatcher,
		events:    make(chan Event),
		done:      make(chan struct{}),
		exited:    make(chan struct{}),
		files:     make(map[string]*file),
		dirs:      make(map[string]int),
	}
	for _, o := range opts {
		o(w)
	}
	if !w.polling {
		fsw, err := w.newNotify()
		if err != nil {
			w.log.Warn("file watcher: no inotify instance; polling the watched files instead",
				"error", err.Error(), "every", w.pollEvery.String(),
				"fix", "raise the node's fs.inotify.max_user_instances (sysctl) for prompt reloads")
			w.polling = true
		}
		w.fs = fsw
	}
	go w.run()
	return w, nil
}

// Add watches the file at path. The file may be missing (it is reported when
// it appears) but its directory must exist, so that a mistyped path fails at
// start-up. Call Add before reading the file the first time: any change after
// Add returns is reported. Adding a path twice is a no-op.
func (w *Watcher) Add(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("watch %s: %w", path, err)
	}
	if fi, err := os.Stat(filepath.Dir(abs)); err != nil {
		return fmt.Errorf("watch %s: %w", path, err)
	} else if !fi.IsDir() {
		return fmt.Errorf("watch %s: %s is not a directory", path, filepath.Dir(abs))
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("watch %s: %w", path, ErrClosed)
	}
	if _, ok := w.files[abs]; ok {
		return nil
	}
	res, err := resolve(abs)
	if err != nil {
		return fmt.Errorf("watch %s: %w", path, err)
	}
	if res.target != "" {
		if fi, err := os.Stat(res.target); err == nil && fi.IsDir() {
			return fmt.Errorf("watch %s: is a directory; add the files in it", path)
		}
	}
	for i, d := range res.dirs {
		if err := w.retain(d); err != nil {
			for _, done := range res.dirs[:i] {
				w.release(done)
			}
			return fmt.Errorf("watch %s: %w", path, err)
		}
	}
	w.files[abs] = &file{name: path, abs: abs, res: res, stamp: stampOf(res)}
	return nil
}

// Events delivers one Event per changed path per window. It is closed by
// Close.
func (w *Watcher) Events() <-chan Event { return w.events }

// Close stops watching and closes Events. It is safe to call more than once.
func (w *Watcher) Close() error {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		close(w.done)
		if w.fs != nil {
			w.closeErr = w.fs.Close()
		}
		<-w.exited
	})
	if w.closeErr != nil {
		return fmt.Errorf("close file watcher: %w", w.closeErr)
	}
	return nil
}
