package faults

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Response is the part of an emulator's Fault that decides how a request
// is answered; the emulators' Fault types convert to it.
type Response struct {
	// Status replaces the response; zero keeps the normal response (after
	// Delay).
	Status int
	// RetryAfter is the Retry-After header's value; "" sends none.
	RetryAfter string
	// Body is written verbatim as JSON; "" lets the emulator write its own
	// error for Status.
	Body string
	// Delay holds the response back, ending early if the client gives up.
	Delay time.Duration
}

// Answer waits out f.Delay and, when f has a status, answers with it: the
// Retry-After header, then f.Body, or what writeError writes when there is
// no body. It reports whether the request is answered (also when the client
// gave up during the delay); false means the normal response follows.
func (f Response) Answer(w http.ResponseWriter, r *http.Request, writeError func()) bool {
	if !Delay(r.Context(), f.Delay) {
		return true // the client gave up
	}
	if f.Status == 0 {
		return false
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Body == "" {
		writeError()
		return true
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(f.Body))
	return true
}

// Seconds is d as a Retry-After value, in whole seconds rounded up; "" when
// d is not positive.
func Seconds(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}
