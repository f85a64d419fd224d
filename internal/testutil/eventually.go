package testutil

import (
	"testing"
	"time"
)

// Eventually polls cond every 10 ms until it holds, failing the test after
// limit. It is for effects observed from outside a component that acts on
// its own schedule (a file rewritten, a request counted), where there is no
// event to await; cond runs on the test's goroutine, so it may fail the test
// itself.
func Eventually(tb testing.TB, what string, limit time.Duration, cond func() bool) {
	tb.Helper()
	EventuallyEvery(tb, what, limit, 10*time.Millisecond, cond)
}

// EventuallyEvery is Eventually polling every interval: for a cond that
// is costly to ask (an exec into a pod, a whole log read, an API list).
func EventuallyEvery(tb testing.TB, what string, limit, interval time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(interval)
	}
}

// Never polls cond every 10 ms for window and fails the test the first
// time it holds: for "nothing happens within this time" (no request made
// while a Retry-After runs), where the window itself is what is asserted.
func Never(tb testing.TB, what string, window time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(window)
	for time.Now().Before(deadline) {
		if cond() {
			tb.Fatalf("%s within %s", what, window)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
