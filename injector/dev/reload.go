package dev

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/fig-injector/fig-injector/injector/watch"
)

// seedWatcher applies the seed file whenever it is saved.
type seedWatcher struct {
	env *Env
	w   *watch.Watcher
}

// newSeedWatcher watches Env.SeedFile (through its directory, so editors
// that save by rename and ConfigMap symlink swaps are seen).
func newSeedWatcher(e *Env) (*seedWatcher, error) {
	w, err := watch.New(e.log)
	if err != nil {
		return nil, fmt.Errorf("watch seed: %w", err)
	}
	if err := w.Add(e.SeedFile); err != nil {
		w.Close()
		return nil, fmt.Errorf("watch seed: %w", err)
	}
	// An edit between the first read and Add would otherwise be missed.
	s := &seedWatcher{env: e, w: w}
	s.reload()
	return s, nil
}

func (s *seedWatcher) run(ctx context.Context) {
	defer s.w.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-s.w.Events():
			if !ok {
				return
			}
			s.reload()
		}
	}
}

// reload reads the seed file and applies it unless its bytes are the ones
// last tried. A failure is logged with every field and fix; the emulators
// keep the previous state.
func (s *seedWatcher) reload() {
	e := s.env
	data, err := os.ReadFile(e.SeedFile)
	if err != nil {
		// Editors may remove the file for a moment while saving; the next
		// event brings it back.
		e.log.Warn("seed file not readable; keeping the current state", "file", e.SeedFile, "error", err.Error())
		return
	}
	e.mu.Lock()
	if bytes.Equal(data, e.last) {
		e.mu.Unlock()
		return
	}
	e.last = data
	err = e.applyLocked(data)
	e.mu.Unlock()
	if err != nil {
		e.log.Error("seed edit not applied; the emulators keep the previous state: fix the file and save it again", "file", e.SeedFile)
		for _, p := range problems(err) {
			e.log.Error("seed problem", "file", e.SeedFile, "problem", p)
		}
	} else {
		e.log.Info("seed applied", "file", e.SeedFile)
	}
	if e.onReload != nil {
		e.onReload(err)
	}
}

// problems lists the messages of a joined error, one per problem.
func problems(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, problems(e)...)
		}
		return out
	}
	return []string{err.Error()}
}
