package keyvault

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Event describes one request for Options.Observe. It never holds a secret
// value or a token; HasToken records only that one was sent.
type Event struct {
	Route   string // one of the Route constants, "" for an unknown path
	Method  string
	Secret  string // secret name from the path, "" for the list
	Version string // version from the path, or the one a latest-GET returned
	// HasToken is true when the request carried a bearer token.
	HasToken bool
	// Authorized is true when the token was accepted.
	Authorized bool
	// Status is the HTTP status written.
	Status int
	// ErrorCode and InnerCode are the error's code and innererror code
	// ("Forbidden", "SecretDisabled"), "" on success.
	ErrorCode, InnerCode string
	// Fault is true when an injected Fault applied to this request.
	Fault bool
	// Arrived is when the request reached the handler (Options.Now's
	// clock), so an observer can place it in time: benchmarks count a
	// fleet's requests per window as Key Vault's throttling does.
	Arrived time.Time
	// Duration is how long the request took to answer.
	Duration time.Duration
}

// AddObserver registers f to be called like Options.Observe: once per
// request after the response was written, on the request goroutine. It is
// for callers that did not build the Server (dev builds its vaults), and is
// safe to call while the server serves; requests in flight at the time may
// or may not be seen.
func (s *Server) AddObserver(f func(Event)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.observers = append(s.observers, f)
}

// finish logs the request and hands its event to the observer.
func (s *Server) finish(ctx context.Context, ev *Event, status int, start time.Time) {
	ev.Status = status
	ev.Arrived = start
	ev.Duration = s.now().Sub(start)
	level := slog.LevelDebug
	if status >= 400 && status != http.StatusUnauthorized { // 401 is the normal first round trip
		level = slog.LevelInfo
	}
	s.log.Log(ctx, level, "keyvault request", "vault", s.opts.Name, "route", ev.Route, "secret", ev.Secret,
		"version", ev.Version, "status", status, "error", ev.ErrorCode, "inner", ev.InnerCode,
		"token", ev.HasToken, "fault", ev.Fault)
	if s.opts.Observe != nil {
		s.opts.Observe(*ev)
	}
	s.mu.Lock()
	observers := s.observers
	s.mu.Unlock()
	for _, f := range observers {
		f(*ev)
	}
}
