package agent

import (
	"context"
	"time"
)

// sleep waits d on the agent's clock, or until ctx ends, kick receives or
// early receives (both may be nil). It reports whether the wait ended
// without ctx ending, and whether a kick ended it.
func (a *Agent) sleep(ctx context.Context, d time.Duration, kick, early <-chan struct{}) (ok, kicked bool) {
	c, stop := a.opts.Clock.Timer(d)
	defer stop()
	select {
	case <-ctx.Done():
		return false, false
	case <-c:
		return true, false
	case <-early:
		return true, false
	case <-kick:
		return true, true
	}
}
