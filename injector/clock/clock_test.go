package clock_test

import (
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/clock"
)

// TestRealTimer: Real's timers are time.NewTimer's: one fires, a stopped
// one reports it was pending and never fires.
func TestRealTimer(t *testing.T) {
	start := clock.Real{}.Now()
	c, _ := clock.Real{}.Timer(time.Millisecond)
	if at := <-c; at.Before(start.Add(time.Millisecond)) {
		t.Errorf("the timer fired at %v, before its deadline %v", at, start.Add(time.Millisecond))
	}
	c, stop := clock.Real{}.Timer(time.Hour)
	if !stop() {
		t.Error("stopping a pending timer reported it had fired")
	}
	select {
	case <-c:
		t.Error("a stopped timer fired")
	default:
	}
}
