package figapi

import (
	"net/http"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/internal/faults"
)

// Fault makes a route misbehave, for tests of a client's retry, backoff,
// timeout and offline handling.
type Fault struct {
	// Status replaces the response with this status. Zero keeps the normal
	// response (use with Delay to slow a route down).
	Status int
	// RetryAfter, when not empty, is sent as the Retry-After header as
	// given: seconds ("120") or an HTTP date.
	RetryAfter string
	// Body replaces the response body. Empty means what Fig would send:
	// its rate limiter's text for 429, its error body otherwise.
	Body string
	// Times is how many requests the fault applies to; zero means every
	// request until ClearFaults.
	Times int
	// Delay holds the response back this long (ending early if the client
	// gives up) before the fault or the normal response is written.
	Delay time.Duration
}

// rateLimitText is what Fig's rate limiter answers with (Program.cs).
const rateLimitText = "Rate limit exceeded. Please try again later."

// Inject queues f for route (one of the Route constants). Faults for a
// route apply in the order injected: the first with requests left is used.
func (s *Server) Inject(route string, f Fault) { s.faults.Inject(route, f, f.Times) }

// ClearFaults removes every queued fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// applyFault waits out f.Delay and writes f's response when it has a
// status. It reports whether the request is answered.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	answer := faults.Response{Status: f.Status, RetryAfter: f.RetryAfter, Body: f.Body, Delay: f.Delay}
	return answer.Answer(w, r, func() {
		if f.Status == http.StatusTooManyRequests {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(f.Status)
			_, _ = w.Write([]byte(rateLimitText))
			return
		}
		writeFigError(w, f.Status, "Injected fault: "+http.StatusText(f.Status))
	})
}
