package watch

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/google/go-cmp/cmp"
)

// deadline bounds every wait for an event; the machine may be busy.
const deadline = 10 * time.Second

func TestWatcherReportsChanges(t *testing.T) {
	// Each case builds a directory, watches dir/<watch>, then changes it.
	// Before each change it writes an unwatched sibling and then a watched
	// sentinel: an Event for <watch> caused by the sibling would arrive
	// before the sentinel's and fail the case.
	tests := []struct {
		name  string
		watch string
		build func(t *testing.T, dir string)
		steps []func(t *testing.T, dir string) // one Event expected after each
	}{
		{
			name:  "write in place",
			watch: "config.yaml",
			build: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "config.yaml"), "a: 1") },
			steps: []func(*testing.T, string){
				func(t *testing.T, dir string) { write(t, filepath.Join(dir, "config.yaml"), "a: 2") },
			},
		},
		{
			name:  "rename over (atomic replace)",
			watch: "config.yaml",
			build: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "config.yaml"), "a: 1") },
			steps: []func(*testing.T, string){
				func(t *testing.T, dir string) { replace(t, filepath.Join(dir, "config.yaml"), "a: 2") },
				func(t *testing.T, dir string) { replace(t, filepath.Join(dir, "config.yaml"), "a: 3") },
			},
		},
		{
			name:  "delete, recreate, then still watched",
			watch: "config.yaml",
			build: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "config.yaml"), "a: 1") },
			steps: []func(*testing.T, string){
				func(t *testing.T, dir string) { remove(t, filepath.Join(dir, "config.yaml")) },
				func(t *testing.T, dir string) { write(t, filepath.Join(dir, "config.yaml"), "a: 2") },
				func(t *testing.T, dir string) { write(t, filepath.Join(dir, "config.yaml"), "a: 3") },
			},
		},
		{
			name:  "missing at Add, created later",
			watch: "secret",
			build: func(t *testing.T, dir string) {},
			steps: []func(*testing.T, string){
				func(t *testing.T, dir string) { write(t, filepath.Join(dir, "secret"), "s3cr3t") },
			},
		},
		{
			name:  "kubernetes ..data swap, twice",
			watch: "config.yaml",
			build: func(t *testing.T, dir string) {
				atomicWriterInit(t, dir, "..2026_01_01_00_00_00.1", map[string]string{"config.yaml": "a: 1", "other.yaml": "b: 1"})
			},
			steps: []func(*testing.T, string){
				func(t *testing.T, dir string) {
					atomicWriterSwap(t, dir, "..2026_01_01_00_00_00.1", "..2026_01_01_00_01_00.2", map[string]string{"config.yaml": "a: 2", "other.yaml": "b: 1"})
				},
				func(t *testing.T, dir string) {
					atomicWriterSwap(t, dir, "..2026_01_01_00_01_00.2", "..2026_01_01_00_02_00.3", map[string]string{"config.yaml": "a: 3", "other.yaml": "b: 1"})
				},
			},
		},
		{
			name:  "link into another directory, target written in place",
			watch: "config.yaml",
			build: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "elsewhere", "real.yaml"), "a: 1")
				symlink(t, "elsewhere/real.yaml", filepath.Join(dir, "config.yaml"))
			},
			steps: []func(*testing.T, string){
				func(t *testing.T, dir string) { write(t, filepath.Join(dir, "elsewhere", "real.yaml"), "a: 2") },
				func(t *testing.T, dir string) { replace(t, filepath.Join(dir, "elsewhere", "real.yaml"), "a: 3") },
			},
		},
		{
			name:  "link re-pointed",
			watch: "config.yaml",
			build: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "v1", "config.yaml"), "a: 1")
				write(t, filepath.Join(dir, "v2", "config.yaml"), "a: 2")
				symlink(t, "v1/config.yaml", filepath.Join(dir, "config.yaml"))
			},
			steps: []func(*testing.T, string){
				func(t *testing.T, dir string) {
					symlink(t, "v2/config.yaml", filepath.Join(dir, "config.yaml.tmp"))
					rename(t, filepath.Join(dir, "config.yaml.tmp"), filepath.Join(dir, "config.yaml"))
				},
				// The old target is no longer what the path means.
				func(t *testing.T, dir string) { write(t, filepath.Join(dir, "v2", "config.yaml"), "a: 3") },
			},
		},
	}
	for _, mode := range modes {
		for _, tt := range tests {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				dir := t.TempDir()
				tt.build(t, dir)
				w := newTestWatcher(t, 20*time.Millisecond, mode.opts...)
				path, sentinel := filepath.Join(dir, tt.watch), filepath.Join(dir, "sentinel")
				for _, p := range []string{path, sentinel} {
					if err := w.Add(p); err != nil {
						t.Fatalf("Add: %v", err)
					}
				}
				for i, step := range tt.steps {
					write(t, filepath.Join(dir, "unwatched-sibling"), time.Now().String())
					write(t, sentinel, time.Now().String())
					if diff := cmp.Diff([]Event{{Path: sentinel}}, awaitEvents(t, w, sentinel)); diff != "" {
						t.Fatalf("step %d: events up to the sentinel (-want +got):\n%s", i, diff)
					}
					step(t, dir)
					if diff := cmp.Diff([]Event{{Path: path}}, awaitEvents(t, w, path)); diff != "" {
						t.Fatalf("step %d: events up to %s (-want +got):\n%s", i, path, diff)
					}
				}
			})
		}
	}
}

// modes are the two ways a Watcher learns of changes; the behaviour tests
// run in both.
var modes = []struct {
	name string
	opts []Option
}{
	{"inotify", nil},
	{"polling", []Option{WithPolling(10 * time.Millisecond)}},
}

func TestWatcherDataSwapReportsEveryWatchedFileInTheDirectory(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) { testDataSwap(t, mode.opts) })
	}
}

// TestWatcherFallsBackToPolling: without an inotify instance (the per-UID
// limit of a busy node) New warns and polls, and changes are still reported.
func TestWatcherFallsBackToPolling(t *testing.T) {
	var logs bytes.Buffer
	w, err := New(slog.New(slog.NewTextHandler(&logs, nil)), WithWindow(10*time.Millisecond),
		withNotify(func() (*fsnotify.Watcher, error) { return nil, syscall.EMFILE }))
	if err != nil {
		t.Fatalf("New without inotify: %v", err)
	}
	defer w.Close()
	if !w.polling || !strings.Contains(logs.String(), "polling the watched files instead") || !strings.Contains(logs.String(), "max_user_instances") {
		t.Fatalf("polling=%v, log %q", w.polling, logs.String())
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	write(t, path, "a: 1")
	if err := w.Add(path); err != nil {
		t.Fatal(err)
	}
	replace(t, path, "a: 2")
	if diff := cmp.Diff([]Event{{Path: path}}, awaitEvents(t, w, path)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestPollingIgnoresUnchangedFiles: a look that finds every stamp as it was
// reports nothing, and a changed stamp is reported once.
func TestPollingIgnoresUnchangedFiles(t *testing.T) {
	w := newTestWatcher(t, time.Millisecond, WithPolling(time.Hour))
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	write(t, a, "a: 1")
	for _, p := range []string{a, b} {
		if err := w.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.polled(); len(got) != 0 {
		t.Fatalf("nothing changed, polled reports %v", got)
	}
	write(t, a, "a: 22")
	write(t, b, "b: 1")
	if diff := cmp.Diff([]string{a, b}, w.polled()); diff != "" {
		t.Errorf("after writing both (-want +got):\n%s", diff)
	}
	if got := w.polled(); len(got) != 0 {
		t.Errorf("reported twice: %v", got)
	}
}

func testDataSwap(t *testing.T, opts []Option) {
	dir := t.TempDir()
	atomicWriterInit(t, dir, "..2026_01_01_00_00_00.1", map[string]string{
		"config.yaml": "a: 1", "template.tmpl": "{{.}}", "unwatched.yaml": "c: 1",
	})
	w := newTestWatcher(t, 20*time.Millisecond, opts...)
	config, tmpl := filepath.Join(dir, "config.yaml"), filepath.Join(dir, "template.tmpl")
	for _, p := range []string{config, tmpl} {
		if err := w.Add(p); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}

	atomicWriterSwap(t, dir, "..2026_01_01_00_00_00.1", "..2026_01_01_00_01_00.2", map[string]string{
		"config.yaml": "a: 2", "template.tmpl": "{{.}}", "unwatched.yaml": "c: 2",
	})

	got := map[string]bool{}
	timeout := time.After(deadline)
	for len(got) < 2 {
		select {
		case ev := <-w.Events():
			got[ev.Path] = true
		case <-timeout:
			t.Fatalf("after the ..data swap got events for %v, want both %s and %s", got, config, tmpl)
		}
	}
	if diff := cmp.Diff(map[string]bool{config: true, tmpl: true}, got); diff != "" {
		t.Errorf("paths reported after the swap (-want +got):\n%s", diff)
	}
}

func TestWatcherCoalescesABurst(t *testing.T) {
	dir := t.TempDir()
	path, sentinel := filepath.Join(dir, "out.json"), filepath.Join(dir, "sentinel")
	write(t, path, "{}")
	// A window far longer than the burst takes, so the burst always fits.
	w := newTestWatcher(t, 500*time.Millisecond)
	for _, p := range []string{path, sentinel} {
		if err := w.Add(p); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}

	// Several events for one logical change: truncate, writes, chmod,
	// then a rename over it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []string{`{"a":`, `"1"`, `}`} {
		if _, err := f.WriteString(chunk); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	replace(t, path, `{"a":"2"}`)

	if diff := cmp.Diff([]Event{{Path: path}}, awaitEvents(t, w, path)); diff != "" {
		t.Fatalf("events for the burst (-want +got):\n%s", diff)
	}
	// Anything left of the burst was queued before the sentinel's events,
	// so it would be delivered before the sentinel.
	write(t, sentinel, "x")
	if diff := cmp.Diff([]Event{{Path: sentinel}}, awaitEvents(t, w, sentinel)); diff != "" {
		t.Errorf("events after the burst (-want +got):\n%s", diff)
	}
}

func TestWatcherAddErrors(t *testing.T) {
	dir := t.TempDir()
	mkdir(t, filepath.Join(dir, "sub"))
	w := newTestWatcher(t, 0)
	tests := []struct {
		name string
		path string
	}{
		{"missing directory", filepath.Join(dir, "nope", "config.yaml")},
		{"a directory, not a file", filepath.Join(dir, "sub")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := w.Add(tt.path); err == nil {
				t.Errorf("Add(%s) = nil, want an error", tt.path)
			}
		})
	}
}

func TestWatcherClose(t *testing.T) {
	dir := t.TempDir()
	w, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case _, ok := <-w.Events():
		if ok {
			t.Error("Events delivered after Close")
		}
	case <-time.After(deadline):
		t.Fatal("Events not closed by Close")
	}
	if err := w.Add(filepath.Join(dir, "b")); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close = %v, want ErrClosed", err)
	}
}

func newTestWatcher(t *testing.T, window time.Duration, opts ...Option) *Watcher {
	t.Helper()
	w, err := New(nil, append([]Option{WithWindow(window)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return w
}

// awaitEvents returns every Event up to and including the first for path.
func awaitEvents(t *testing.T, w *Watcher, path string) []Event {
	t.Helper()
	var got []Event
	timeout := time.After(deadline)
	for {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				t.Fatalf("Events closed while waiting for %s; got %v", path, got)
			}
			got = append(got, ev)
			if ev.Path == path {
				return got
			}
		case <-timeout:
			t.Fatalf("no event for %s within %v; got %v", path, deadline, got)
		}
	}
}

// atomicWriterInit lays out dir as Kubernetes' AtomicWriter does for a
// ConfigMap volume: files in a timestamped directory, "..data" pointing to
// it, and each visible name a link through "..data".
func atomicWriterInit(t *testing.T, dir, ts string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		write(t, filepath.Join(dir, ts, name), content)
		symlink(t, filepath.Join("..data", name), filepath.Join(dir, name))
	}
	symlink(t, ts, filepath.Join(dir, "..data"))
}

// atomicWriterSwap publishes a new payload as AtomicWriter.Write does: a new
// timestamped directory, a "..data_tmp" link to it renamed over "..data",
// then the old directory removed.
func atomicWriterSwap(t *testing.T, dir, oldTS, newTS string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		write(t, filepath.Join(dir, newTS, name), content)
	}
	symlink(t, newTS, filepath.Join(dir, "..data_tmp"))
	rename(t, filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data"))
	if err := os.RemoveAll(filepath.Join(dir, oldTS)); err != nil {
		t.Fatal(err)
	}
}

// replace writes content to a temporary file beside path and renames it
// over path, as atomic writers do.
func replace(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	write(t, tmp, content)
	rename(t, tmp, path)
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}
