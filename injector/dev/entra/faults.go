package entra

import (
	"net/http"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/internal/faults"
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

// Inject queues f for route (one of the Route constants). Faults for a
// route apply in the order injected: the first with requests left is used.
func (s *Server) Inject(route string, f Fault) { s.faults.Inject(route, f, f.Times) }

// ClearFaults removes every queued fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// applyFault waits out f.Delay and writes f's response when it has a status.
// It reports whether the request is answered.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, ev *Event, f Fault) bool {
	answer := faults.Response{Status: f.Status, RetryAfter: faults.Seconds(f.RetryAfter), Body: f.Body, Delay: f.Delay}
	return answer.Answer(w, r, func() { writeError(w, r, ev, s.now(), faultError(f.Status)) })
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
