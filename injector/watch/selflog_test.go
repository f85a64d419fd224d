package watch

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// TestDebugLogInAWatchedDirectoryDoesNotFeedItself: with debug logging
// into a file in a watched directory, every event used to log a line whose
// write was another event, for ever. Only events that change a watched path
// are logged now, so three changes give a handful of lines, however long
// the watcher runs.
func TestDebugLogInAWatchedDirectoryDoesNotFeedItself(t *testing.T) {
	dir := t.TempDir()
	watched := filepath.Join(dir, "config.yaml")
	write(t, watched, "a: 0")
	logFile, err := os.OpenFile(filepath.Join(dir, "agent.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	w, err := New(slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Add(watched); err != nil {
		t.Fatal(err)
	}
	for _, content := range []string{"a: 1", "a: 2", "a: 3"} {
		replace(t, watched, content)
		awaitEvents(t, w, watched)
	}
	// A last change and its event: every line the three above caused (and
	// the lines those lines caused, with the bug) is written by now.
	write(t, watched, "a: 4")
	awaitEvents(t, w, watched)
	data, err := os.ReadFile(logFile.Name())
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n > 16 {
		t.Errorf("four changes logged %d lines: the log feeds itself", n)
	}
}
