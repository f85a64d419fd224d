// Package server is the relay's HTTPS server: Fig's web hooks in, agents'
// subscriptions out, plus /healthz, /readyz and /metrics. It wires the
// hook, hub, auth and kvwatch packages; the logic lives in them.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/peers"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// HookPrefix is where Fig's web hooks are mounted: configure the web hook
// client's base URI in Fig as https://<relay service>:<port>/fig/ (with the
// trailing slash; without it .NET drops "fig" and the root routes serve).
const HookPrefix = "/fig/"

// Metrics is what the server counts; relay/metrics implements it with
// Prometheus.
type Metrics interface {
	Subscription(outcome string) // "accepted" or "refused"
	Delivered(events int)
	// OfflineCopy counts offline copy requests by op (get, put, delete)
	// and outcome (ok, not_found, forbidden, error, …).
	OfflineCopy(op, outcome string)
}

// Options configure a Server.
type Options struct {
	Hub        *hub.Hub
	Hooks      *hook.Handler
	Authorizer auth.Authorizer
	// Peers, when set, accepts wake-ups forwarded by other replicas on
	// peers.PeerPath (they are delivered locally, never forwarded again).
	Peers PeerAuthenticator
	// Offline, when set, keeps the agents' offline copies on
	// wire.OfflinePath; nil answers 501 there.
	Offline OfflineStore
	// Fleet, with Peers, takes other replicas' vault reports on
	// peers.VaultsPath (relay/fleet.Coordinator).
	Fleet VaultReceiver
	// Metrics counts; MetricsHandler serves /metrics. Both may be nil.
	Metrics        Metrics
	MetricsHandler http.Handler
	// MinSpacing is the least time between two writes to one subscriber;
	// wake-ups arriving meanwhile are merged into the next write. Zero means
	// DefaultMinSpacing, negative none.
	MinSpacing time.Duration
	// Heartbeat is the longest silence on a stream; default
	// wire.HeartbeatInterval.
	Heartbeat time.Duration
	// Reauthorize is how often an open stream's token and pod are checked
	// again (±20 %); default DefaultReauthorize.
	Reauthorize time.Duration
	// WriteTimeout bounds one write to a subscriber; default
	// DefaultWriteTimeout.
	WriteTimeout time.Duration
	// Ready decides /readyz (Readiness.Check); nil means always ready.
	Ready func(ctx context.Context) error
	Log   *slog.Logger
}

// PeerAuthenticator accepts only the relay's own replicas
// (auth.Kubernetes.AuthenticatePeer).
type PeerAuthenticator interface {
	AuthenticatePeer(ctx context.Context, token string) error
}

// VaultReceiver takes a replica's report of its subscribers' vaults and
// answers with the vault states it knows as the lister (fleet.Coordinator).
type VaultReceiver interface {
	PeerVaults(replica string, vaults []string) []wire.Event
}

// DefaultMinSpacing keeps a flood of hooks to ten writes a second per
// subscriber while adding at most 100 ms to a wake-up.
const DefaultMinSpacing = 100 * time.Millisecond

// Server is an http.Handler.
type Server struct {
	opts     Options
	log      *slog.Logger
	mux      *http.ServeMux
	notReady atomic.Bool
}

// New returns the relay's handler.
func New(opts Options) *Server {
	if opts.MinSpacing == 0 {
		opts.MinSpacing = DefaultMinSpacing
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = wire.HeartbeatInterval
	}
	if opts.Reauthorize <= 0 {
		opts.Reauthorize = DefaultReauthorize
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = noMetrics{}
	}
	s := &Server{opts: opts, log: opts.Log, mux: http.NewServeMux()}
	s.mux.HandleFunc(wire.SubscribePath, s.serveSubscribe)
	s.mux.HandleFunc(wire.OfflinePath, s.serveOffline)
	s.mux.Handle(HookPrefix, opts.Hooks)
	for _, r := range hook.Routes {
		s.mux.Handle("/"+r, opts.Hooks)
	}
	if opts.Peers != nil {
		s.mux.HandleFunc(peers.PeerPath, s.servePeer)
		if opts.Fleet != nil {
			s.mux.HandleFunc(peers.VaultsPath, s.servePeerVaults)
		}
	}
	s.mux.HandleFunc("/healthz", ok)
	s.mux.HandleFunc("/readyz", s.serveReady)
	if opts.MetricsHandler != nil {
		s.mux.Handle("/metrics", opts.MetricsHandler)
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) count(outcome string) { s.opts.Metrics.Subscription(outcome) }

func ok(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// serveReady answers 200 "ok", or 503 with the reason (logged when it
// changes).
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if s.opts.Ready != nil {
		if err := s.opts.Ready(r.Context()); err != nil {
			if !s.notReady.Swap(true) {
				s.log.Warn("not ready", "reason", err.Error())
			}
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		if s.notReady.Swap(false) {
			s.log.Info("ready again")
		}
	}
	ok(w, r)
}

type noMetrics struct{}

func (noMetrics) Subscription(string)     {}
func (noMetrics) Delivered(int)           {}
func (noMetrics) OfflineCopy(_, _ string) {}
