package agent

import (
	"math/rand/v2"
	"time"
)

// Schedule decides when a source is polled next. It is pure: time and
// randomness come in as arguments, so tests check every rule without sleeping.
//
// Rules, in order:
//
//  1. After a success the next poll is the interval with ±Jitter (10%), so
//     thousands of pods started together drift apart instead of polling in step.
//  2. After a failure the wait doubles from Initial up to Max, with "full
//     jitter" in [wait/2, wait], so a fleet does not retry in lockstep.
//  3. A server's Retry-After is a floor: the next attempt is never earlier,
//     also when it exceeds Max. Callers pass it capped (retryAfter in
//     limits.go), so no server can stop polling.
//  4. A wait is never shorter than Min, so no error can cause a tight loop.
type Schedule struct {
	Jitter  float64       // fraction of the interval, e.g. 0.1
	Initial time.Duration // first backoff after a failure
	Max     time.Duration // backoff cap
	Min     time.Duration // floor for every wait
	// FixedStartup puts the first poll exactly one interval after the
	// initial render, without Startup's spread. The agent never sets it;
	// benchmarks do, to measure what the spread buys (docs/benchmarks.md).
	FixedStartup bool
}

// DefaultSchedule is what the agent uses.
var DefaultSchedule = Schedule{Jitter: 0.1, Initial: time.Second, Max: 5 * time.Minute, Min: 100 * time.Millisecond}

// AfterSuccess returns the wait before the next poll of a healthy source.
func (s Schedule) AfterSuccess(interval time.Duration, r *rand.Rand) time.Duration {
	return s.floor(jitter(interval, s.Jitter, r))
}

// AfterFailure returns the wait after the n-th consecutive failure (n ≥ 1),
// honouring retryAfter as a floor.
func (s Schedule) AfterFailure(n int, retryAfter time.Duration, r *rand.Rand) time.Duration {
	wait := s.Initial
	for i := 1; i < n && wait < s.Max; i++ {
		wait *= 2
	}
	wait = min(wait, s.Max)
	wait = wait/2 + time.Duration(r.Int64N(int64(wait/2)+1))
	return s.floor(max(wait, retryAfter))
}

// AfterRelayWord returns the wait of a vault's poller when the relay's word
// on the vault changed. Watched: the first safety poll is uniform in [½, 1½]
// × RelaySafetyFactor intervals (as Startup), because a fleet subscribes
// within seconds of a relay (re)start and ±10% jitter would keep every
// pod's safety poll in one burst for good. Unwatched: the vault's own
// interval less up to Jitter of it (never more), so polling resumes within
// one interval of the relay's loss, as issue 14 promises, and a fleet that
// lost its relay together does not poll in step.
func (s Schedule) AfterRelayWord(watched bool, interval time.Duration, r *rand.Rand) time.Duration {
	if watched {
		return s.Startup(RelaySafetyFactor*interval, r)
	}
	return s.floor(interval - time.Duration(float64(interval)*s.Jitter*r.Float64()))
}

// Startup returns the random delay before a source's first poll after the
// initial render (which fetched everything), uniform in [interval/2,
// 3·interval/2]. The mean is one interval, so a rollout costs no more
// requests than without the spread; and the first poll never comes sooner
// than half an interval after the render, so the first polls of a fleet
// that starts within half an interval all come after its first renders
// instead of adding to their peak (a draw from [0, interval] made the
// rollout's peak worse than no jitter at all: docs/benchmarks.md).
//
// With FixedStartup it is exactly the interval (still at least Min).
func (s Schedule) Startup(interval time.Duration, r *rand.Rand) time.Duration {
	if s.FixedStartup {
		return s.floor(interval)
	}
	half := interval / 2
	return s.floor(half + time.Duration(r.Int64N(int64(interval)+1)))
}

func (s Schedule) floor(d time.Duration) time.Duration { return max(d, s.Min) }

// jitter returns d scaled by a random factor in [1-f, 1+f].
func jitter(d time.Duration, f float64, r *rand.Rand) time.Duration {
	return time.Duration(float64(d) * (1 - f + 2*f*r.Float64()))
}
