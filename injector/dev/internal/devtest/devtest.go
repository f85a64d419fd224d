// Package devtest holds what the emulators' tests share, so it exists once
// instead of as copies: a settable clock for their Options.Now and a
// recorder for their Options.Observe. Only tests import it.
package devtest

import (
	"sync"
	"time"
)

// Clock is a time source a test moves by hand. It is safe for concurrent
// use: the emulator reads it on request goroutines.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

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
