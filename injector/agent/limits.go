package agent

import (
	"fmt"
	"math"
	"time"

	"github.com/fig-injector/fig-injector/injector/source"
)

// Bounds on every duration a server supplies (docs/operations.md, "Limits on
// server-supplied durations").
// A server can ask the agent to wait, never to stop polling or to spin.
const (
	// MinFigPollInterval and MaxFigPollInterval bound Fig's pollIntervalMs:
	// below a second is a hammering loop, above an hour a pod that no longer
	// follows its settings.
	MinFigPollInterval = time.Second
	MaxFigPollInterval = time.Hour
	// RetryAfterCap caps a server's Retry-After; a source polled less often
	// may ask for up to its poll interval. It is the longest backoff the
	// agent picks itself (DefaultSchedule.Max), not 60 s: SPEC §2.3 asks
	// for Retry-After to be honoured also above 60 s (a Retry-After: 120
	// is), and the cap only has to stop an absurd one from ending polling.
	RetryAfterCap = 5 * time.Minute
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

// Limits that follow the container's memory limit (Options.MemoryLimit), so
// that an answer or a configuration too large for the agent fails with a
// clear "too large" instead of an OOM kill (docs/operations.md, "Size
// limits").
const (
	// figResponseShare: a Fig answer may take 1/16 of the memory limit.
	// Decoding and mapping settings takes about nine times the answer's size
	// (10 MiB of settings reached ~90 MiB RSS), and the output files on the
	// memory volume count toward the limit too.
	figResponseShare = 16
	minFigResponse   = 1 << 20
	maxFigResponse   = 64 << 20
	// referenceCost is the memory budgeted per Key Vault reference: the
	// reference, its secret (Key Vault allows 25 KiB), its place in the
	// snapshot, the merged entry and the output.
	referenceCost = 64 << 10
	minReferences = 256
	// MaxReferences bounds the distinct Key Vault references in Fig's values
	// when the memory limit is unknown, and always.
	MaxReferences = 16384
	// MaxVaults bounds the vaults the agent talks to (configured and
	// referenced), each with its own client and poller.
	MaxVaults = 64
)

// limits are the size limits for one agent.
type limits struct {
	memory      int64 // the memory limit they derive from; 0: unknown
	figResponse int64 // bytes of one Fig answer
	references  int   // distinct Key Vault references
}

// limitsFor derives the limits from a memory limit in bytes (0: unknown,
// which keeps the ceilings).
func limitsFor(memory int64) limits {
	if memory <= 0 {
		return limits{figResponse: maxFigResponse, references: MaxReferences}
	}
	return limits{
		memory:      memory,
		figResponse: min(max(memory/figResponseShare, minFigResponse), maxFigResponse),
		references:  int(min(max(memory/referenceCost, minReferences), MaxReferences)),
	}
}

// String describes where the limits come from, for "too large" errors.
func (l limits) String() string {
	if l.memory <= 0 {
		return "no memory limit known"
	}
	return fmt.Sprintf("memory limit %d MiB", l.memory>>20)
}
