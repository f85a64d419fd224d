// Package observe is the request bookkeeping the three emulators share: the
// status a handler wrote and the count of requests per route, which their
// Events, log lines and Requests methods report. What an event holds, and
// which statuses deserve more than a debug line, is each emulator's own
// business.
package observe

import (
	"net/http"
	"sync"
)

// StatusWriter is an http.ResponseWriter that remembers the status written,
// for the request's event.
type StatusWriter struct {
	http.ResponseWriter
	status int
}

// NewStatusWriter wraps w.
func NewStatusWriter(w http.ResponseWriter) *StatusWriter {
	return &StatusWriter{ResponseWriter: w}
}

// WriteHeader records the first status and passes every call on, so
// net/http still sees (and logs) a superfluous one.
func (w *StatusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records the implicit 200 of a body written without a header.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Status is the status written: 200 when the handler wrote nothing, which
// is what net/http sends then.
func (w *StatusWriter) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Counter counts requests per route. The zero Counter is ready; it is safe
// for concurrent use.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// Add counts one request to route.
func (c *Counter) Add(route string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[route]++
}

// Get returns how many requests were counted for route.
func (c *Counter) Get(route string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[route]
}
