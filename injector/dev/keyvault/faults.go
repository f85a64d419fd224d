package keyvault

import (
	"net/http"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/internal/faults"
)

// Fault makes a route misbehave, for tests of the client's retry, backoff
// and timeout handling. Faults apply only to authenticated requests, after
// the challenge round trip, so Times counts real data requests.
type Fault struct {
	// Status replaces the response with this status. Zero keeps the normal
	// response (use with Delay to slow a route down).
	Status int
	// RetryAfter, when positive, is sent as Retry-After in whole seconds,
	// rounded up. The SDK gives up at once when it exceeds its MaxRetryDelay
	// (60 s by default).
	RetryAfter time.Duration
	// Body replaces the response body; empty means a Key Vault error suited
	// to Status (429: code Throttled).
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
	return answer.Answer(w, r, func() { s.writeError(w, ev, faultError(f.Status)) })
}

// faultError is the default body of an injected status: what the service
// answers when it throttles (429), an error named after the status
// otherwise.
func faultError(status int) kvError {
	if status == http.StatusTooManyRequests {
		return errThrottled()
	}
	return kvError{status: status, code: strings.ReplaceAll(http.StatusText(status), " ", ""),
		message: "Injected fault: " + http.StatusText(status) + "."}
}
