// Package faults is the fault-injection machinery the three emulators share:
// a queue of faults per route, each applied a number of times, the delay
// that slows a response down, and the answer (status, Retry-After, a body
// given verbatim). The error a fault answers with when it names no body is
// each emulator's own business (Fig, Entra ID and Key Vault errors differ).
package faults

import (
	"context"
	"sync"
	"time"
)

// Queue holds the faults injected per route. The zero Queue is ready; it is
// safe for concurrent use.
type Queue[F any] struct {
	mu     sync.Mutex
	routes map[string][]*slot[F]
}

// slot is a queued fault with its remaining count (-1: unlimited).
type slot[F any] struct {
	f    F
	left int
}

// Inject queues f for route, to apply times times (zero or less: every
// request until Clear). Faults for a route apply in the order injected: the
// first with requests left is used.
func (q *Queue[F]) Inject(route string, f F, times int) {
	if times <= 0 {
		times = -1
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.routes == nil {
		q.routes = map[string][]*slot[F]{}
	}
	q.routes[route] = append(q.routes[route], &slot[F]{f: f, left: times})
}

// Clear removes every queued fault.
func (q *Queue[F]) Clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	clear(q.routes)
}

// Take consumes one application of the first live fault for route.
func (q *Queue[F]) Take(route string) (F, bool) {
	var zero F
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.routes[route]
	for len(s) > 0 && s[0].left == 0 {
		s = s[1:]
	}
	if len(s) == 0 {
		delete(q.routes, route)
		return zero, false
	}
	q.routes[route] = s
	if s[0].left > 0 {
		s[0].left--
	}
	return s[0].f, true
}

// Delay waits d, or until ctx ends (the client gave up); it reports whether
// the full delay passed.
func Delay(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
