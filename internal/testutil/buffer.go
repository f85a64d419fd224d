// Package testutil holds what several packages' tests share, so it exists
// once instead of as copies.
package testutil

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer safe for the concurrent writes of a logger, so a
// test can capture everything a component logs and scan it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
