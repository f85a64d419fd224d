package webhook

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/sync/semaphore"
)

// The webhook's memory is bounded by what reviews in flight may hold, not
// by how many arrive: a review's cost is its body size times
// reviewCostFactor, and the reviews in flight share a budget derived from
// the container's memory limit. A review that does not fit waits up to
// reviewQueueWait and is then refused with 429 and Retry-After; a body larger
// than the whole budget allows is refused with 413 at once. Either way the
// API server applies the failurePolicy to that one pod, and the webhook
// stays up for the others, instead of being OOM-killed, which (with
// failurePolicy Fail) refused every opted-in pod while it restarted.
const (
	// reviewCostFactor is the peak heap of one review per byte of its body,
	// with a margin: decoding a pod, the mutated copy, both marshalled for the
	// diff, and the diff's own generic trees. Measured up to about 63× for
	// the worst shape (thousands of near-empty containers, each getting a
	// mount: every one is a patch operation) when sampled, and RSS showed
	// more, hence the margin; typical pods take far less.
	reviewCostFactor = 128
	// minReviewCost is what even a tiny review costs (buffers, the response).
	minReviewCost = 256 << 10
	// reservedMemory is kept out of the budget for the runtime, the metrics,
	// the certificate and the connections (maxConnections, each with its
	// TLS and HTTP/2 buffers).
	reservedMemory = 24<<20 + maxConnections*connectionMemory
	// maxConnections bounds open connections (the API servers keep a few
	// each); more wait in the listen queue.
	maxConnections = 128
	// connectionMemory is a connection's share: TLS records, bufio, an
	// HTTP/2 receive window of http2ReceiveBuffer, goroutines.
	connectionMemory = 64<<10 + http2ReceiveBuffer
	// http2ReceiveBuffer is each HTTP/2 connection's (and stream's) receive
	// window: what a client may send before the handler reads it. Go's
	// default (1 MiB per connection) would let idle connections alone hold
	// more than the budget.
	http2ReceiveBuffer = 64 << 10
	// maxHeaderBytes bounds request headers (Go's default is 1 MiB).
	maxHeaderBytes = 16 << 10
	// reviewQueueWait is how long a review waits for room; well inside the
	// chart's timeoutSeconds (10).
	reviewQueueWait = 2 * time.Second
	// DefaultMemoryLimit is assumed when neither --memory-limit nor
	// GOMEMLIMIT says: the chart's default limit.
	DefaultMemoryLimit = 128 << 20
	// memoryLimitShare is the part of the container limit the Go runtime
	// aims for (debug.SetMemoryLimit), leaving room for what it does not count.
	memoryLimitShare = 0.8
)

// reviewLimits bounds the memory of the reviews in flight.
type reviewLimits struct {
	sem     *semaphore.Weighted
	maxBody int64 // the largest body accepted: maxReviewBytes, or less if the budget is small
	metrics *metrics
}

// newReviewLimits derives the budget from the container's memory limit; a
// limit too small for one maximal review still admits small ones.
func newReviewLimits(memoryLimit int64, m *metrics) *reviewLimits {
	return &reviewLimits{
		sem:     semaphore.NewWeighted(reviewBudget(memoryLimit)),
		maxBody: ReviewBodyLimit(memoryLimit),
		metrics: m,
	}
}

// reviewBudget is the memory the reviews in flight may hold together.
func reviewBudget(memoryLimit int64) int64 {
	return max(int64(float64(memoryLimit)*memoryLimitShare)-reservedMemory, minReviewCost)
}

// ReviewBodyLimit is the largest admission review body the webhook accepts
// under a container memory limit (bytes): about 500 KiB under the chart's 128Mi,
// 3 MiB (the API server's own request limit) from about 530Mi.
func ReviewBodyLimit(memoryLimit int64) int64 {
	return min(maxReviewBytes, reviewBudget(memoryLimit)/reviewCostFactor)
}

// cost is what a review with a body of n bytes may hold at its peak.
func (l *reviewLimits) cost(n int64) int64 {
	return max(n*reviewCostFactor, minReviewCost)
}

// wrap admits a review to next once its cost fits the budget. A body of
// unknown length (chunked) is charged as the largest accepted.
func (l *reviewLimits) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := req.ContentLength
		if n > l.maxBody {
			l.metrics.refused.WithLabelValues(refusedTooLarge).Inc()
			http.Error(w, fmt.Sprintf("admission review of %d bytes is larger than this webhook accepts (%d bytes, from its memory limit); fix: raise the webhook's memory limit (resources.limits.memory in the chart)", n, l.maxBody), http.StatusRequestEntityTooLarge)
			return
		}
		if n < 0 {
			n = l.maxBody
		}
		ctx, cancel := context.WithTimeout(req.Context(), reviewQueueWait)
		defer cancel()
		if err := l.sem.Acquire(ctx, l.cost(n)); err != nil {
			l.metrics.refused.WithLabelValues(refusedBusy).Inc()
			w.Header().Set("Retry-After", strconv.Itoa(int(reviewQueueWait/time.Second)))
			http.Error(w, "too many admission reviews in flight for this webhook's memory limit; retry", http.StatusTooManyRequests)
			return
		}
		defer l.sem.Release(l.cost(n))
		req.Body = http.MaxBytesReader(w, req.Body, n)
		next.ServeHTTP(w, req)
	})
}
