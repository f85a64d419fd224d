package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"

	"github.com/fig-injector/fig-injector/injector/certreload"
)

// Options are the webhook command's flags.
type Options struct {
	// Listen is the TLS address, e.g. ":8443".
	Listen string
	// CertFile and KeyFile are the serving key pair, re-read when they change.
	CertFile, KeyFile string
	// ConfigFile is the webhook config (Config, YAML).
	ConfigFile string
	// Kubeconfig is used to read ConfigMap configs; "" means in-cluster.
	Kubeconfig string
	// MemoryLimit is the container's memory limit in bytes (the chart passes
	// it from the Downward API); the reviews in flight are bounded to fit
	// it. 0: GOMEMLIMIT if set, else DefaultMemoryLimit.
	MemoryLimit int64
}

// shutdownTimeout bounds how long in-flight reviews may finish after ctx ends.
const shutdownTimeout = 10 * time.Second

// Server is the webhook's HTTPS server.
type Server struct {
	handler http.Handler
	tls     *tls.Config
	ready   atomic.Bool
	log     *slog.Logger
}

// NewServer builds a server from the options: it loads and validates the
// config and the key pair (failing fast on either), and builds the
// ConfigMap client. Without API access (no in-cluster config and no
// kubeconfig) it logs a warning and denies pods that name a ConfigMap config.
func NewServer(opts Options, log *slog.Logger) (*Server, error) {
	cfg, err := LoadConfig(opts.ConfigFile)
	if err != nil {
		return nil, err
	}
	certs, err := certreload.New(opts.CertFile, opts.KeyFile, log)
	if err != nil {
		return nil, err
	}
	cms, err := NewConfigMapGetter(opts.Kubeconfig)
	if err != nil {
		if opts.Kubeconfig != "" {
			return nil, err
		}
		log.Warn("no Kubernetes API access: pods naming a ConfigMap config will be denied", "error", err)
		cms = nil
	}
	reg := prometheus.NewRegistry()
	h := NewHandler(cfg, cms, reg, log)
	limits := newReviewLimits(memoryLimit(opts.MemoryLimit), h.metrics)
	log.Info("admission reviews bounded by the memory limit", "maxBodyBytes", limits.maxBody)
	return newServer(h, limits, reg, certs.GetCertificate, log), nil
}

// memoryLimit resolves Options.MemoryLimit and sets the Go runtime's soft
// limit below it (unless GOMEMLIMIT set one), so the GC works harder before
// the kernel kills the process.
func memoryLimit(limit int64) int64 {
	soft := debug.SetMemoryLimit(-1)
	if limit <= 0 {
		if soft == math.MaxInt64 {
			return DefaultMemoryLimit
		}
		return soft
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(int64(float64(limit) * memoryLimitShare))
	}
	return limit
}

// modernCipherSuites are the TLS 1.2 suites the webhook accepts: forward
// secret (ECDHE) and authenticated encryption (AES-GCM, ChaCha20-Poly1305)
// only, what the API server itself offers first. No CBC, no RSA key
// exchange. (TLS 1.3 suites are not configurable and all modern.)
var modernCipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// newServer assembles the routes around a Handler, reviews bounded by
// limits; tests use it with their own certificates.
func newServer(h *Handler, limits *reviewLimits, reg *prometheus.Registry, getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error), log *slog.Logger) *Server {
	s := &Server{log: log, tls: &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: modernCipherSuites, GetCertificate: getCert}}
	mux := http.NewServeMux()
	mux.Handle("POST /mutate", limits.wrap(serveReviews(h.Review, log)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	s.handler = mux
	return s
}

// Serve serves on ln until ctx ends, then stops being ready and lets
// in-flight reviews finish (up to shutdownTimeout).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		TLSConfig:         s.tls,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		HTTP2: &http.HTTP2Config{
			MaxReceiveBufferPerConnection: http2ReceiveBuffer,
			MaxReceiveBufferPerStream:     http2ReceiveBuffer,
		},
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	ln = netutil.LimitListener(ln, maxConnections)
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	s.ready.Store(true)
	s.log.Info("webhook serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		s.ready.Store(false)
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.ready.Store(false)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// Run is the whole webhook command: build the server from opts, listen on
// opts.Listen and serve until ctx ends.
func Run(ctx context.Context, opts Options, log *slog.Logger) error {
	s, err := NewServer(opts, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return s.Serve(ctx, ln)
}
