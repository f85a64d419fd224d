package status

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// shutdownTimeout bounds how long Serve waits for in-flight requests when
// ctx ends; probes and scrapes take milliseconds.
const shutdownTimeout = 5 * time.Second

// Serve serves handler on addr (e.g. ":9102") until ctx ends, then shuts
// down gracefully: it stops accepting, lets in-flight requests finish (up to
// 5 s) and returns nil. It returns an error if it cannot listen or the
// server fails.
func Serve(ctx context.Context, addr string, handler http.Handler, logger *slog.Logger) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("status server: %w", err)
	}
	return serve(ctx, ln, handler, logger)
}

// serve is Serve on a listener it owns and closes.
func serve(ctx context.Context, ln net.Listener, handler http.Handler, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("status server listening", "addr", ln.Addr().String())

	select {
	case err := <-served:
		return fmt.Errorf("status server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("status server shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("status server: %w", err)
	}
	return nil
}
