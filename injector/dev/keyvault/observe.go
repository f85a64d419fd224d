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
	// Duration is how long the request took to answer.
	Duration time.Duration
}

// finish logs the request and hands its event to the observer.
func (s *Server) finish(ctx context.Context, ev *Event, status int, start time.Time) {
	ev.Status = status
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
}
