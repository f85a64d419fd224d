package agent

import (
	"math"
	"time"

	"github.com/fig-injector/fig-injector/injector/source"
)

// Bounds on every duration a server supplies (docs/operations.md, "Limits").
// A server can ask the agent to wait, never to stop polling or to spin.
const (
	// MinFigPollInterval and MaxFigPollInterval bound Fig's pollIntervalMs:
	// below a second is a hammering loop, above an hour a pod that no longer
	// follows its settings.
	MinFigPollInterval = time.Second
	MaxFigPollInterval = time.Hour
	// RetryAfterCap is the least a Retry-After may always ask for; it may ask
	// for up to one poll interval more than that when the interval is longer.
	RetryAfterCap = time.Minute
	// unreachableStretch is how many poll intervals Fig.Client waits after a
	// network failure.
	unreachableStretch = 5
)

// figPollInterval is the interval Fig's status reply asks for, clamped to
// [MinFigPollInterval, MaxFigPollInterval], or current when it asks for
// none (absent, zero, negative or NaN). The comparison happens in float
// milliseconds, before any conversion that could overflow.
func figPollInterval(ms *float64, current time.Duration) time.Duration {
	if ms == nil || !(*ms > 0) {
		return current
	}
	if *ms >= float64(MaxFigPollInterval/time.Millisecond) {
		return MaxFigPollInterval
	}
	return max(time.Duration(*ms*float64(time.Millisecond)), MinFigPollInterval)
}

// retryAfter is the server's requested wait carried by err, capped at the
// larger of RetryAfterCap and interval: a Retry-After of a billion seconds
// must not stop polling for ever.
func retryAfter(err error, interval time.Duration) time.Duration {
	return min(source.RetryAfter(err), max(RetryAfterCap, interval))
}

// mulSat is d·n, saturating at the largest Duration instead of wrapping
// into a negative wait (a tight loop).
func mulSat(d time.Duration, n int64) time.Duration {
	if d > 0 && n > 0 && d > math.MaxInt64/time.Duration(n) {
		return math.MaxInt64
	}
	return d * time.Duration(n)
}
