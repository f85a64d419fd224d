package agent

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestScheduleAfterSuccessStaysWithinJitter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lo, hi := time.Hour, time.Duration(0)
	for range 10_000 {
		d := DefaultSchedule.AfterSuccess(60*time.Second, r)
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 54*time.Second || hi > 66*time.Second {
		t.Errorf("waits span [%s, %s], want within 60s ±10%%", lo, hi)
	}
	if hi-lo < 10*time.Second {
		t.Errorf("waits span only %s: jitter is not spreading polls", hi-lo)
	}
}

func TestScheduleAfterFailure(t *testing.T) {
	s := Schedule{Jitter: 0.1, Initial: time.Second, Max: time.Minute, Min: 100 * time.Millisecond}
	tests := []struct {
		name       string
		n          int
		retryAfter time.Duration
		lo, hi     time.Duration
	}{
		{"first failure", 1, 0, 500 * time.Millisecond, time.Second},
		{"doubles", 3, 0, 2 * time.Second, 4 * time.Second},
		{"capped", 30, 0, 30 * time.Second, time.Minute},
		{"retry-after above the cap wins", 1, 120 * time.Second, 120 * time.Second, 120 * time.Second},
		{"retry-after below backoff does not shorten it", 3, time.Second, 2 * time.Second, 4 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			for range 1000 {
				if d := s.AfterFailure(tt.n, tt.retryAfter, r); d < tt.lo || d > tt.hi {
					t.Fatalf("AfterFailure(%d, %s) = %s, want in [%s, %s]", tt.n, tt.retryAfter, d, tt.lo, tt.hi)
				}
			}
		})
	}
}

func TestScheduleNeverTightLoops(t *testing.T) {
	s := Schedule{Initial: 0, Max: 0, Min: 100 * time.Millisecond}
	r := rand.New(rand.NewPCG(5, 6))
	if d := s.AfterFailure(1, 0, r); d < s.Min {
		t.Errorf("AfterFailure = %s, below the floor %s", d, s.Min)
	}
	if d := s.AfterSuccess(0, r); d < s.Min {
		t.Errorf("AfterSuccess = %s, below the floor %s", d, s.Min)
	}
}

func TestScheduleStartupSpreadsAcrossInterval(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var early, late int
	for range 1000 {
		d := DefaultSchedule.Startup(time.Minute, r)
		if d > time.Minute {
			t.Fatalf("Startup = %s, beyond the interval", d)
		}
		if d < 20*time.Second {
			early++
		} else if d > 40*time.Second {
			late++
		}
	}
	if early < 200 || late < 200 {
		t.Errorf("start-up delays not spread: %d early, %d late of 1000", early, late)
	}
}
