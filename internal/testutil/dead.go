package testutil

import (
	"errors"
	"net"
	"testing"
)

// DroppingAddr returns a loopback address whose connections are accepted and
// closed at once: a server that is down, for tests of transport errors.
// Unlike the address of a closed listener, it stays taken for the whole
// test, so a parallel test's server can never answer on it.
func DroppingAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err == nil {
				_ = conn.Close()
			}
		}
	}()
	tb.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return ln.Addr().String()
}
