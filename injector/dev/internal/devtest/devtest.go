// Package devtest holds what the emulators' tests share, so it exists once
// instead of as copies: a recorder for their Options.Observe (their clock is
// internal/testutil.Clock, shared with the agent's tests). Only tests import
// it.
package devtest

import (
	"sync"
)

// Events records an emulator's events. It is safe for concurrent use: the
// emulator calls Observe on request goroutines.
type Events[E any] struct {
	mu sync.Mutex
	ev []E
}

// Add records e; it is what a test passes as Options.Observe.
func (l *Events[E]) Add(e E) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ev = append(l.ev, e)
}

// All returns a copy of the events recorded so far, in order.
func (l *Events[E]) All() []E {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]E(nil), l.ev...)
}
