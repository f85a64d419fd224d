package figapi

import (
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Redacted replaces secret header values in Event.Header.
const Redacted = "<redacted>"

// Event describes one request for Options.Observe. It never holds a client
// secret: the secret header's value is replaced by Redacted.
type Event struct {
	Route    string // one of the Route constants, "" for an unknown path
	Method   string
	Path     string // unescaped
	RawQuery string
	// Header is a copy of the request headers with ClientSecret (any case)
	// and Authorization redacted.
	Header http.Header
	// Client is the client name from the path, "" for routes without one.
	Client string
	// Status is the HTTP status written.
	Status int
	// Fault is true when an injected Fault applied to this request.
	Fault bool
	// Duration is how long the request took to answer (wall clock).
	Duration time.Duration
}

// redactHeader copies h with secret values replaced.
func redactHeader(h http.Header) http.Header {
	out := h.Clone()
	for k, vs := range out {
		if strings.EqualFold(k, "ClientSecret") || strings.EqualFold(k, "Authorization") {
			for i := range vs {
				vs[i] = Redacted
			}
		}
	}
	return out
}

// finish logs the request and hands its event to the observer.
func (s *Server) finish(r *http.Request, ev *Event, status int, start time.Time) {
	ev.Status = status
	ev.Duration = time.Since(start)
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelInfo
	}
	s.log.Log(r.Context(), level, "fig api request", "route", ev.Route, "method", ev.Method,
		"client", ev.Client, "status", status, "fault", ev.Fault)
	if s.opts.Observe != nil {
		s.opts.Observe(*ev)
	}
}
