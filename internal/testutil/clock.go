package testutil

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/clock"
)

// Clock is the one fake time source of the tests: a component takes its Now
// (the emulators' Options.Now) or the whole clock (a clock.Clock: the
// agent's Options.Clock, the relay's lease.Config.Clock), and
// time moves only when the test moves it, so a schedule can be asserted to
// the nanosecond without sleeping (Pending shows what the component waits
// for). It is safe for concurrent use.
//
// Timers fire when the clock reaches their deadline: Add moves it by a
// duration, AutoAdvance keeps moving it in the background for tests that
// only await an effect.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer // pending, in no particular order
	// flowing (AutoAdvance) makes the clock also run with real time since
	// the moment flowSince, so two things that happen one after the other
	// never share an instant, as with a real clock.
	flowing   bool
	flowSince time.Time
}

var _ clock.Clock = (*Clock)(nil)

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flow()
	return c.now
}

// flow adds the real time passed since the last reading, when flowing.
func (c *Clock) flow() {
	if c.flowing {
		real := time.Now()
		c.now = c.now.Add(real.Sub(c.flowSince))
		c.flowSince = real
	}
}

// Timer returns a channel that receives the deadline once the clock reaches
// now+d (at once when d ≤ 0), and a function that stops the timer, reporting
// whether it was still pending: time.NewTimer's C and Stop.
func (c *Clock) Timer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flow()
	t := &fakeTimer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- t.at
		return t.c, func() bool { return false }
	}
	c.timers = append(c.timers, t)
	return t.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		n := len(c.timers)
		c.timers = slices.DeleteFunc(c.timers, func(x *fakeTimer) bool { return x == t })
		return len(c.timers) < n
	}
}

// Add moves the clock by d, firing every timer due by then. They fire at
// the new time: a component that re-arms after one counts from there, so a
// test that asserts a schedule steps across one deadline at a time.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flow()
	c.now = c.now.Add(d)
	c.fireDue()
}

// Pending returns the time left on every pending timer, soonest first.
func (c *Clock) Pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flow()
	out := make([]time.Duration, len(c.timers))
	for i, t := range c.timers {
		out[i] = t.at.Sub(c.now)
	}
	slices.Sort(out)
	return out
}

// AutoAdvance makes the clock run with real time and, every real interval
// until the test ends, jump towards the soonest deadline by at most most:
// time passes up to most/every times faster than real time while the
// component waits, for tests that await an effect (a file rewritten after a
// poll) rather than a schedule. The bound keeps a component that is busy
// for a moment (a request in flight) from falling behind by whole poll
// intervals, which would look like an outage to a server on the same clock.
func (c *Clock) AutoAdvance(tb testing.TB, every, most time.Duration) {
	c.mu.Lock()
	c.flowing, c.flowSince = true, time.Now()
	c.mu.Unlock()
	done := make(chan struct{})
	stopped := make(chan struct{})
	tb.Cleanup(func() { close(done); <-stopped })
	go func() {
		defer close(stopped)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				c.advance(most)
			}
		}
	}()
}

// advance moves towards the soonest deadline by at most most, firing the
// timers due by then.
func (c *Clock) advance(most time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flow()
	if len(c.timers) == 0 {
		return
	}
	c.now = c.now.Add(min(c.untilSoonest(), most))
	c.fireDue()
}

// untilSoonest is the time left on the soonest pending timer (there is one).
func (c *Clock) untilSoonest() time.Duration {
	soonest := slices.MinFunc(c.timers, func(x, y *fakeTimer) int { return x.at.Compare(y.at) }).at
	return max(soonest.Sub(c.now), 0)
}

// fireDue fires and forgets the timers whose deadline has come.
func (c *Clock) fireDue() {
	c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool {
		if t.at.After(c.now) {
			return false
		}
		t.c <- t.at
		return true
	})
}
