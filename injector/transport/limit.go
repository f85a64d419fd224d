package transport

import (
	"fmt"
	"io"
)

// TooLargeError is a response body longer than Options.MaxResponseBytes.
type TooLargeError struct{ Limit int64 }

// Error implements error.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the response is too large: more than %d bytes (%.1f MiB), the limit for this agent's memory", e.Limit, float64(e.Limit)/(1<<20))
}

// NonRetriable tells the Azure SDK's retry policy not to fetch the same
// answer again.
func (e *TooLargeError) NonRetriable() {}

// limitedBody fails a read past limit bytes with a *TooLargeError, so a
// server cannot make the agent buffer an answer larger than its memory
// allows (the Azure SDK reads every body whole).
type limitedBody struct {
	io.ReadCloser
	limit, left int64
}

// Read implements io.Reader.
func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// At the limit: any further byte makes the body too large.
		var one [1]byte
		if n, err := b.ReadCloser.Read(one[:]); n > 0 {
			return 0, &TooLargeError{Limit: b.limit}
		} else {
			return 0, err
		}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
