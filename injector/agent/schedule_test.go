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
	if d := s.Startup(0, r); d < s.Min {
		t.Errorf("Startup = %s, below the floor %s", d, s.Min)
	}
}

// TestScheduleStartup checks the first poll after the initial render: never
// sooner than half an interval (so it cannot pile onto a rollout's first
// renders), never later than one and a half, spread over that whole range
// and one interval on average (so the spread adds no requests).
func TestScheduleStartup(t *testing.T) {
	tests := []struct {
		name     string
		s        Schedule
		interval time.Duration
	}{
		{"default schedule, default interval", DefaultSchedule, time.Minute},
		{"default schedule, 1 s interval", DefaultSchedule, time.Second},
		{"no floor", Schedule{}, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 10_000
			r := rand.New(rand.NewPCG(7, 8))
			lo, hi := tt.interval/2, tt.interval*3/2
			lowest, highest := time.Duration(1<<62), time.Duration(0)
			var sum time.Duration
			var buckets [4]int // quarters of [lo, hi]
			for range n {
				d := tt.s.Startup(tt.interval, r)
				if d < lo || d > hi {
					t.Fatalf("Startup(%s) = %s, want in [%s, %s]", tt.interval, d, lo, hi)
				}
				lowest, highest, sum = min(lowest, d), max(highest, d), sum+d
				buckets[min(int((d-lo)*4/tt.interval), 3)]++
			}
			// The draws reach both ends of the range and fill every quarter
			// of it (uniform: n/4 each; far more than noise allows below).
			if lowest > lo+tt.interval/20 || highest < hi-tt.interval/20 {
				t.Errorf("draws span only [%s, %s] of [%s, %s]", lowest, highest, lo, hi)
			}
			for q, c := range buckets {
				if c < n/5 {
					t.Errorf("quarter %d of [%s, %s] got %d of %d draws, want about %d", q, lo, hi, c, n, n/4)
				}
			}
			if mean := sum / n; mean < tt.interval*98/100 || mean > tt.interval*102/100 {
				t.Errorf("mean start-up delay %s, want about one interval (%s)", mean, tt.interval)
			}
		})
	}
}

// TestScheduleFixedStartup: FixedStartup with no jitter is the "every pod
// polls exactly every interval" baseline the rollout benchmark compares
// the product against; DefaultSchedule does not set it.
func TestScheduleFixedStartup(t *testing.T) {
	if DefaultSchedule.FixedStartup {
		t.Fatal("DefaultSchedule has FixedStartup set: the agent would lose its start-up spread")
	}
	s := DefaultSchedule
	s.Jitter, s.FixedStartup = 0, true
	r := rand.New(rand.NewPCG(9, 10))
	tests := []struct {
		name     string
		interval time.Duration
		want     time.Duration
	}{
		{"default interval", time.Minute, time.Minute},
		{"scaled interval", 6 * time.Second, 6 * time.Second},
		{"below the floor", 10 * time.Millisecond, s.Min},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 100 {
				if d := s.Startup(tt.interval, r); d != tt.want {
					t.Fatalf("Startup(%s) = %s, want exactly %s", tt.interval, d, tt.want)
				}
				if d := s.AfterSuccess(tt.interval, r); d != tt.want {
					t.Fatalf("AfterSuccess(%s) without jitter = %s, want exactly %s", tt.interval, d, tt.want)
				}
			}
		})
	}
}

// TestScheduleAfterRelayWord: once the relay watches a vault, the pods'
// first safety polls spread over a whole stretched interval instead of
// staying in the burst of their subscriptions; once it stops, polling
// resumes within the vault's own interval, never later.
func TestScheduleAfterRelayWord(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tt := range []struct {
		watched bool
		lo, hi  time.Duration
		spread  time.Duration // the least span of 10,000 draws
	}{
		{true, 5 * time.Minute, 15 * time.Minute, 9 * time.Minute},
		{false, 54 * time.Second, 60 * time.Second, 5 * time.Second},
	} {
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for range 10_000 {
			d := DefaultSchedule.AfterRelayWord(tt.watched, time.Minute, r)
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo < tt.lo || hi > tt.hi || hi-lo < tt.spread {
			t.Errorf("watched=%v: waits span [%s, %s], want within [%s, %s] and spread over at least %s",
				tt.watched, lo, hi, tt.lo, tt.hi, tt.spread)
		}
	}
}
