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
	"time"
)

// shutdownGrace is how long Close lets requests in flight finish.
const shutdownGrace = 2 * time.Second

// server is one emulator on its own TLS listener.
type server struct {
	ln  net.Listener
	srv *http.Server
	err error // set by serve, read after it returned
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

func (s *server) serve() {
	if err := s.srv.ServeTLS(s.ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		s.err = fmt.Errorf("serve %s: %w", s.ln.Addr(), err)
	}
}

// shutdown lets requests in flight finish for a moment, then closes.
func (s *server) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if s.srv.Shutdown(ctx) != nil {
		s.srv.Close()
	}
}
