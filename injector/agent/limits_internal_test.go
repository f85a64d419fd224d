package agent

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/source"
)

func TestFigPollIntervalIsClamped(t *testing.T) {
	ms := func(f float64) *float64 { return &f }
	const current = 30 * time.Second
	tests := []struct {
		name string
		ms   *float64
		want time.Duration
	}{
		{"absent keeps the current", nil, current},
		{"zero keeps the current", ms(0), current},
		{"negative keeps the current", ms(-5), current},
		{"NaN keeps the current", ms(math.NaN()), current},
		{"in range", ms(45000), 45 * time.Second},
		{"fraction of a millisecond", ms(1500.5), 1500*time.Millisecond + 500*time.Microsecond},
		{"below the floor", ms(10), MinFigPollInterval},
		{"issue 12's 2e12", ms(2e12), MaxFigPollInterval},
		{"beyond int64 nanoseconds", ms(1e300), MaxFigPollInterval},
		{"infinity", ms(math.Inf(1)), MaxFigPollInterval},
	}
	for _, tt := range tests {
		if got := figPollInterval(tt.ms, current); got != tt.want {
			t.Errorf("%s: figPollInterval = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	asks := func(d time.Duration) error { return &source.Error{RetryAfter: d} }
	tests := []struct {
		name     string
		err      error
		interval time.Duration
		want     time.Duration
	}{
		{"no error", nil, time.Minute, 0},
		{"not a source error", errors.New("x"), time.Minute, 0},
		{"short ask honoured", asks(5 * time.Second), time.Second, 5 * time.Second},
		{"120 s honoured (SPEC §2.3: also above 60 s)", asks(120 * time.Second), time.Second, 120 * time.Second},
		{"a billion seconds, short interval: the cap", asks(1e9 * time.Second), time.Second, RetryAfterCap},
		{"a billion seconds, long interval: the interval", asks(1e9 * time.Second), time.Hour, time.Hour},
		{"the largest Duration", asks(math.MaxInt64), 0, RetryAfterCap},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.err, tt.interval); got != tt.want {
			t.Errorf("%s: retryAfter = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMulSatNeverWraps(t *testing.T) {
	tests := []struct {
		d    time.Duration
		n    int64
		want time.Duration
	}{
		{time.Hour, 5, 5 * time.Hour},
		{2e18, 5, math.MaxInt64}, // issue 12: 5 × 2e12 ms wrapped negative and the agent spun
		{math.MaxInt64, 2, math.MaxInt64},
		{0, 5, 0},
	}
	for _, tt := range tests {
		if got := mulSat(tt.d, tt.n); got != tt.want {
			t.Errorf("mulSat(%v, %d) = %v, want %v", tt.d, tt.n, got, tt.want)
		}
	}
}

// FuzzFigPollInterval: any pollIntervalMs gives the current interval or one
// within [MinFigPollInterval, MaxFigPollInterval], and five of it never wraps.
func FuzzFigPollInterval(f *testing.F) {
	for _, ms := range []float64{0, -1, 1, 999, 1000, 30000, 2e12, 1e300, math.Inf(1), math.NaN(), math.MaxInt64} {
		f.Add(ms)
	}
	const current = 30 * time.Second
	f.Fuzz(func(t *testing.T, ms float64) {
		d := figPollInterval(&ms, current)
		if d != current && (d < MinFigPollInterval || d > MaxFigPollInterval) {
			t.Fatalf("figPollInterval(%v) = %v", ms, d)
		}
		if s := mulSat(d, unreachableStretch); s < d {
			t.Fatalf("5 × %v = %v", d, s)
		}
	})
}
