package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// app holds the last good configuration and reloads it on demand.
type app struct {
	path string
	mask []string
	log  *slog.Logger
	// onReload, when set, is called after every reload attempt (tests
	// await it instead of sleeping).
	onReload func(state)

	mu    sync.Mutex
	state state
}

// state is what GET / shows: the last good configuration (never replaced
// by a failed reload) and how it got there.
type state struct {
	File       string    `json:"file"`
	Mode       string    `json:"mode,omitempty"` // of the file at the last good load, e.g. 0440
	Generation int       `json:"generation"`     // successful loads so far
	LoadedAt   time.Time `json:"loadedAt,omitzero"`
	Trigger    string    `json:"trigger,omitempty"` // start, SIGHUP or POST /reload
	Changed    []string  `json:"changed"`           // keys changed by the last load (names only)
	Error      string    `json:"error,omitempty"`   // the last failed reload, if it was the last attempt
	Config     any       `json:"config"`            // masked

	flat map[string]string
}

func newApp(path string, mask []string, log *slog.Logger) *app {
	return &app{path: path, mask: mask, log: log, state: state{File: path, Changed: []string{}}}
}

// reload reads the file again. On failure the last good configuration stays.
func (a *app) reload(trigger string) state {
	tree, err := loadConfig(a.path)
	a.mu.Lock()
	if err != nil {
		a.state.Error = err.Error()
		a.log.Error("reload failed, keeping the last good config", "trigger", trigger, "generation", a.state.Generation, "error", err)
	} else {
		flat := flatten(tree)
		changed := changedKeys(a.state.flat, flat)
		if changed == nil {
			changed = []string{}
		}
		mode := ""
		if fi, err := os.Stat(a.path); err == nil {
			mode = fmt.Sprintf("%#o", fi.Mode().Perm())
		}
		a.state = state{
			File: a.path, Mode: mode, Generation: a.state.Generation + 1, LoadedAt: time.Now().UTC(), Trigger: trigger,
			Changed: changed, Config: maskTree(tree, a.mask, ""), flat: flat,
		}
		a.log.Info("config reloaded", "trigger", trigger, "generation", a.state.Generation, "keys", len(flat), "changed", changed)
	}
	s := a.state
	a.mu.Unlock()
	if a.onReload != nil {
		a.onReload(s)
	}
	return s
}

func (a *app) current() state {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state
}

// watchSignals reloads on every SIGHUP until ctx ends. The handler is in
// place when it returns, so a SIGHUP sent afterwards never kills the process.
func (a *app) watchSignals(ctx context.Context) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				a.reload("SIGHUP")
			}
		}
	}()
}

// handler serves GET / (the masked state), POST /reload and GET /healthz.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		s := a.current()
		w.Header().Set("Content-Type", "application/json")
		if s.Generation == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = writeJSON(w, s)
	})
	mux.HandleFunc("POST /reload", func(w http.ResponseWriter, _ *http.Request) {
		s := a.reload("POST /reload")
		w.Header().Set("Content-Type", "application/json")
		if s.Error != "" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		_ = writeJSON(w, map[string]any{"generation": s.Generation, "changed": s.Changed, "error": s.Error})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}
