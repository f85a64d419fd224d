package source

import (
	"errors"
	"fmt"
	"time"
)

// Error is how every source reports a failure. It carries what the agent
// needs to decide (retry or not, and when) and what an operator needs to act
// (the cause and the fix). It never carries a secret value.
type Error struct {
	// Source names the source, e.g. "fig" or "keyvault https://kv.vault.azure.net/".
	Source string
	// Op is what was attempted, e.g. "GET /clients/OrderService/settings".
	Op string
	// StatusCode is the HTTP status, or 0 for transport failures.
	StatusCode int
	// Temporary is true when retrying the same request may succeed
	// (network errors, 408, 429, 5xx).
	Temporary bool
	// RetryAfter is the server's requested wait (Retry-After), zero if none.
	RetryAfter time.Duration
	// Fix tells the operator what to do, e.g. "check the client secret".
	Fix string
	// Err is the underlying cause.
	Err error
}

// Error formats "source: op: cause (status N); fix: …" on one line.
func (e *Error) Error() string {
	msg := e.Source
	if e.Op != "" {
		msg += ": " + e.Op
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.StatusCode != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.StatusCode)
	}
	if e.Fix != "" {
		msg += "; fix: " + e.Fix
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// IsTemporary reports whether err, or an *Error it wraps, is worth retrying.
// Errors that are not *Error (bugs, context cancellation) are not.
func IsTemporary(err error) bool {
	var se *Error
	return errors.As(err, &se) && se.Temporary
}

// RetryAfter returns the server's requested wait carried by err, or zero.
func RetryAfter(err error) time.Duration {
	var se *Error
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}
