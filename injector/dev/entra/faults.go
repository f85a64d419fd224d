package entra

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Fault makes a route misbehave, for tests of the client's retry, backoff
// and timeout handling.
type Fault struct {
	// Status replaces the response with this status. Zero keeps the normal
	// response (use with Delay to slow a route down).
	Status int
	// RetryAfter, when positive, is sent as Retry-After in whole seconds,
	// rounded up.
	RetryAfter time.Duration
	// Body replaces the response body; empty means an Entra-format error
	// suited to Status.
	Body string
	// Times is how many requests the fault applies to; zero means every
	// request until ClearFaults.
	Times int
	// Delay holds the response back this long (ending early if the client
	// gives up), before the fault or the normal response is written.
	Delay time.Duration
}

// faultSlot is a queued fault with its remaining count (-1: unlimited).
type faultSlot struct {
	f    Fault
	left int
}

// Inject queues f for route (one of the Route constants). Faults for a route
// apply in the order injected: the first with requests left is used.
func (s *Server) Inject(route string, f Fault) {
	left := f.Times
	if left <= 0 {
		left = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = append(s.faults[route], &faultSlot{f: f, left: left})
}

// ClearFaults removes every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// takeFault consumes one application of the first live fault for route.
func (s *Server) takeFault(route string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[route]
	for len(q) > 0 && q[0].left == 0 {
		q = q[1:]
	}
	s.faults[route] = q
	if len(q) == 0 {
		return Fault{}, false
	}
	if q[0].left > 0 {
		q[0].left--
	}
	return q[0].f, true
}

// applyFault waits out f.Delay and writes f's response when it has a status.
// It reports whether the request is answered.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, ev *Event, f Fault) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	if f.Status == 0 {
		return false
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
	}
	if f.Body != "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
		return true
	}
	writeError(w, r, ev, s.now(), faultError(f.Status))
	return true
}

// faultError is the default body of an injected status. The wording is
// emulator-authored; clients must act on the status and Retry-After only.
func faultError(status int) aadError {
	switch {
	case status == http.StatusTooManyRequests || status >= 500:
		return aadError{status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again."}
	default:
		return aadError{status, "invalid_request", 90000, "Injected fault: " + http.StatusText(status) + "."}
	}
}
