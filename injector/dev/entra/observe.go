package entra

import (
	"context"
	"log/slog"
	"time"
)

// Event describes one request for Options.Observe. It records the presence
// of the assertion, claims and issued token, never their values.
type Event struct {
	Route     string // one of the Route constants, "" for an unknown path
	Method    string
	Tenant    string // first path segment
	ClientID  string // token requests: the client_id form field
	GrantType string // token requests
	Scope     string // token requests: the scope form field as sent
	// HasAssertion is true when the token request carried a client_assertion.
	HasAssertion bool
	// HasClaims is true when the token request carried claims (azcore's CAE
	// capability request, contracts/azure.md §1.5).
	HasClaims bool
	// TokenIssued is true when an access token was returned.
	TokenIssued bool
	// Status is the HTTP status written.
	Status int
	// Error is the OAuth error code ("invalid_client", …), "" on success.
	Error string
	// Code is the AADSTS number of an error, 0 on success.
	Code int
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
	if status >= 400 {
		level = slog.LevelInfo
	}
	s.log.Log(ctx, level, "entra request",
		"route", ev.Route, "tenant", ev.Tenant, "client_id", ev.ClientID, "status", status,
		"error", ev.Error, "aadsts", ev.Code, "assertion", ev.HasAssertion, "fault", ev.Fault)
	if s.opts.Observe != nil {
		s.opts.Observe(*ev)
	}
}
