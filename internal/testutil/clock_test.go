package testutil

import (
	"slices"
	"testing"
	"time"
)

var clockStart = time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)

func fired(c <-chan time.Time) (time.Time, bool) {
	select {
	case t := <-c:
		return t, true
	default:
		return time.Time{}, false
	}
}

func TestClockMovesOnlyWhenTold(t *testing.T) {
	c := NewClock(clockStart)
	if got := c.Now(); !got.Equal(clockStart) {
		t.Errorf("Now() = %s, want %s", got, clockStart)
	}
	c.Add(90 * time.Second)
	if got, want := c.Now(), clockStart.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("after Add(90s): Now() = %s, want %s", got, want)
	}
}

func TestClockTimerFiresAtItsDeadlineExactly(t *testing.T) {
	c := NewClock(clockStart)
	ch, _ := c.Timer(2 * time.Second)
	c.Add(2*time.Second - time.Nanosecond)
	if _, ok := fired(ch); ok {
		t.Fatal("the timer fired a nanosecond early")
	}
	c.Add(time.Nanosecond)
	at, ok := fired(ch)
	if !ok || !at.Equal(clockStart.Add(2*time.Second)) {
		t.Errorf("fired %v at %s, want at the deadline", ok, at)
	}
	if p := c.Pending(); len(p) != 0 {
		t.Errorf("pending after firing: %v", p)
	}
}

func TestClockTimerOfZeroFiresAtOnce(t *testing.T) {
	c := NewClock(clockStart)
	ch, stop := c.Timer(0)
	if _, ok := fired(ch); !ok {
		t.Error("a zero timer did not fire at once")
	}
	if stop() {
		t.Error("stopping a fired timer reported it pending")
	}
}

func TestClockStoppedTimerNeverFires(t *testing.T) {
	c := NewClock(clockStart)
	ch, stop := c.Timer(time.Second)
	if !stop() {
		t.Error("stopping a pending timer reported it already done")
	}
	c.Add(time.Hour)
	if _, ok := fired(ch); ok {
		t.Error("a stopped timer fired")
	}
}

func TestClockPendingListsTheTimeLeftSoonestFirst(t *testing.T) {
	c := NewClock(clockStart)
	late, _ := c.Timer(3 * time.Second)
	c.Timer(time.Second)
	if got := c.Pending(); !slices.Equal(got, []time.Duration{time.Second, 3 * time.Second}) {
		t.Errorf("Pending() = %v, want [1s 3s]", got)
	}
	c.Add(time.Second)
	if got := c.Pending(); !slices.Equal(got, []time.Duration{2 * time.Second}) {
		t.Errorf("after 1s: Pending() = %v, want [2s]", got)
	}
	if _, ok := fired(late); ok {
		t.Error("the later timer fired early")
	}
}

func TestClockAutoAdvanceFiresTimersWithoutTheTest(t *testing.T) {
	c := NewClock(clockStart)
	c.AutoAdvance(t, time.Millisecond, time.Hour)
	first := c.Now()
	if second := c.Now(); !second.After(first) {
		t.Errorf("two readings of a flowing clock are equal (%s)", first)
	}
	ch, _ := c.Timer(time.Hour)
	select {
	case at := <-ch:
		if at.Before(first.Add(time.Hour)) || at.After(first.Add(time.Hour+time.Second)) {
			t.Errorf("fired at %s, want an hour after %s", at, first)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("AutoAdvance did not fire an hour's timer")
	}
}
