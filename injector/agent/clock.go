package agent

import (
	"context"
	"time"
)

// Clock is the agent's time. Every wait of the agent (poll intervals,
// backoff, Retry-After, the coalescing window, the retry of a failed write)
// is one of its Timers and every timestamp its Now, so a test moves time by
// hand and asserts each schedule exactly (internal/testutil.Clock). The
// default is the real clock. RenderOnce keeps initTimeout on it too (no
// retry is waited for that would come after it), and also as a context
// deadline in real time, which ends a request in flight.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Timer returns a channel that receives once d has passed, and a
	// function that stops the timer: time.NewTimer's C and Stop.
	Timer(d time.Duration) (<-chan time.Time, func() bool)
}

// realClock is the time package's clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Timer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// sleep waits d on the agent's clock, or until ctx ends or kick receives
// (kick may be nil). It reports whether the wait ended without ctx ending,
// and whether a kick ended it.
func (a *Agent) sleep(ctx context.Context, d time.Duration, kick <-chan struct{}) (ok, kicked bool) {
	c, stop := a.opts.Clock.Timer(d)
	defer stop()
	select {
	case <-ctx.Done():
		return false, false
	case <-c:
		return true, false
	case <-kick:
		return true, true
	}
}
