// Package clock is the time of every component that waits: the agent's
// polls, backoff and coalescing window, the relay's Lease elector and its
// sweep of old offline copies. They take a Clock, so a test moves time by
// hand and asserts each schedule exactly (internal/testutil.Clock
// implements it); Real is the default. Standard library only: the agent's
// binary and the relay's both import it.
package clock

import "time"

// Clock is a source of time and timers.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Timer returns a channel that receives once d has passed, and a
	// function that stops the timer: time.NewTimer's C and Stop.
	Timer(d time.Duration) (<-chan time.Time, func() bool)
}

// Real is the time package's clock.
type Real struct{}

// Now implements Clock.
func (Real) Now() time.Time { return time.Now() }

// Timer implements Clock.
func (Real) Timer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}
