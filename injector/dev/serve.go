package dev

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// shutdownGrace is how long Close lets requests in flight finish.
const shutdownGrace = 2 * time.Second

// server is one emulator on its own TLS listener.
type server struct {
	ln  net.Listener
	srv *http.Server
	err error // set by serve, read after it returned

	mu      sync.Mutex
	busy    int           // requests being handled
	drained chan struct{} // closed when busy drops to 0 after shutdown began
}

// listen opens a TCP listener; port 0 picks a free one. The error names the
// emulator and the usual cause, since a fixed port is often still taken by
// an earlier run.
func listen(what, host string, port int) (net.Listener, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (is another fig-injector dev running? stop it or choose another port)", what, err)
	}
	return ln, nil
}

// joinHostPort is the URL host of a listener reached as host.
func joinHostPort(host string, addr net.Addr) string {
	port := 0
	if a, ok := addr.(*net.TCPAddr); ok {
		port = a.Port
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

func newServer(ln net.Listener, h http.Handler, cfg *tls.Config, log *slog.Logger) *server {
	return &server{ln: ln, srv: &http.Server{
		Handler:           h,
		TLSConfig:         cfg.Clone(),
		ReadHeaderTimeout: 10 * time.Second,
		// TLS handshake failures (a client without ca.crt) are worth seeing
		// when debugging, not by default.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}}
}

// counted counts the requests being handled, for shutdown.
func (s *server) counted(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.busy++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.busy--; s.busy == 0 && s.drained != nil {
				close(s.drained)
				s.drained = nil
			}
		}()
		h.ServeHTTP(w, r)
	})
}

func (s *server) serve() {
	s.srv.Handler = s.counted(s.srv.Handler)
	if err := s.srv.ServeTLS(s.ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		s.err = fmt.Errorf("serve %s: %w", s.ln.Addr(), err)
	}
}

// shutdown stops accepting, lets requests in flight finish for a moment,
// then closes. It waits for requests, not for connections:
// http.Server.Shutdown holds an idle HTTP/2 connection for a second after
// its GOAWAY, which would make every Close (every test) a second slower per
// emulator.
func (s *server) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = s.srv.Shutdown(ctx) // closes the listener first
	}()
	s.mu.Lock()
	drained := make(chan struct{})
	if s.busy == 0 {
		close(drained)
	} else {
		s.drained = drained
	}
	s.mu.Unlock()
	select {
	case <-drained:
	case <-ctx.Done():
	}
	_ = s.srv.Close()
	<-stopped
}
