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
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
