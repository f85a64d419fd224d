package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/client-go/rest"

	"github.com/fig-injector/fig-injector/injector/azure"
	"github.com/fig-injector/fig-injector/injector/certreload"
	"github.com/fig-injector/fig-injector/injector/kubeconfig"
	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/kvwatch"
	"github.com/fig-injector/fig-injector/injector/relay/metrics"
	"github.com/fig-injector/fig-injector/injector/relay/peers"
	"github.com/fig-injector/fig-injector/injector/transport"
)

// Config is the relay command's flags.
type Config struct {
	Listen            string // HTTPS address, e.g. ":8443"
	CertFile, KeyFile string // serving key pair, re-read when it changes
	// HookSecretHashFile holds the bcrypt hash Fig's web UI shows for the
	// web hook client (first line).
	HookSecretHashFile string
	// Audience of the subscribers' projected tokens.
	Audience   string
	Kubeconfig string // "" means in-cluster
	// VaultInterval is the Key Vault list interval; 0 means
	// kvwatch.DefaultInterval.
	VaultInterval time.Duration
	// CAFile adds trusted CAs for Entra ID and Key Vault (private CAs,
	// emulators).
	CAFile string
	// DisableInstanceDiscovery and DisableChallengeResourceVerification are
	// for air-gapped clouds and the emulators, as in the agent's config.
	DisableInstanceDiscovery, DisableChallengeResourceVerification bool
	// Peers: with PeerService set, hooks are forwarded to the other ready
	// replicas in that (headless) Service's EndpointSlices.
	Peers PeerConfig
}

// PeerConfig is how a replica finds and reaches the others.
type PeerConfig struct {
	Service        string // headless Service of the replicas, in Namespace
	Namespace      string // the relay's namespace
	ServiceAccount string // the relay's ServiceAccount: the only accepted forwarder
	PodIP          string // this replica, left out of the peers
	TokenFile      string // this replica's projected token for the relay's audience
	CAFile         string // CA of the relay's serving certificate
	ServerName     string // a name in that certificate (the relay Service's DNS name)
}

// apiQPS and apiBurst bound the relay's Kubernetes API requests.
const (
	apiQPS   = 100
	apiBurst = 200
)

// shutdownTimeout bounds how long requests may finish after ctx ends.
const shutdownTimeout = 10 * time.Second

// Run is the whole relay command: build everything from cfg, serve until
// ctx ends. Streams end with ctx, so subscribers move to another replica.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	hashed, err := os.ReadFile(cfg.HookSecretHashFile)
	if err != nil {
		return fmt.Errorf("web hook secret hash: %w", err)
	}
	verifier, err := hook.NewVerifier(string(hashed))
	if err != nil {
		return err
	}
	restCfg, err := kubeconfig.Load(cfg.Kubeconfig)
	if err != nil {
		return err
	}
	restCfg.UserAgent = "fig-injector-relay"
	// Every subscription costs a TokenReview and a pod get: at client-go's
	// default 5 requests per second, 1,000 pods resubscribing after a relay
	// restart waited 400 s (test/bench BenchmarkRelayProcess).
	restCfg.QPS, restCfg.Burst = apiQPS, apiBurst
	authz, err := auth.NewKubernetes(restCfg, cfg.Audience)
	if err != nil {
		return err
	}
	authz.Peer = cfg.Peers.Namespace + "/" + cfg.Peers.ServiceAccount
	certs, err := certreload.New(cfg.CertFile, cfg.KeyFile, log)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	wake := make(chan struct{}, 1)
	h := hub.New(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	m := metrics.New(reg, h.Subscribers)
	watcher, err := newWatcher(cfg, m, h, log)
	if err != nil {
		// Fig wake-ups still work; every vault stays on its subscribers' own polling.
		log.Warn("no Key Vault identity: vaults are not watched, agents keep polling them", "error", err)
		go unwatchAll(ctx, h, wake, "the relay has no Key Vault identity: "+err.Error())
	} else {
		go watcher.Run(ctx, h.Vaults, wake)
	}
	var sink hook.Sink = h
	var peerAuth PeerAuthenticator
	if cfg.Peers.Service != "" {
		if sink, err = forwarder(ctx, cfg.Peers, restCfg, h, log); err != nil {
			return err
		}
		peerAuth = authz
	}
	srv := New(Options{Hub: h, Authorizer: authz, Peers: peerAuth, Metrics: m, Log: log,
		MetricsHandler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Hooks:          &hook.Handler{Verifier: verifier, Sink: sink, Metrics: m, Log: log}})
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return serve(ctx, ln, srv, certs.GetCertificate, log)
}

// forwarder makes the hook sink that also wakes the other replicas.
func forwarder(ctx context.Context, pc PeerConfig, restCfg *rest.Config, h *hub.Hub, log *slog.Logger) (*peers.Forwarder, error) {
	for _, f := range []struct{ name, v string }{{"namespace", pc.Namespace}, {"service account", pc.ServiceAccount},
		{"pod IP", pc.PodIP}, {"token file", pc.TokenFile}, {"CA file", pc.CAFile}, {"server name", pc.ServerName}} {
		if f.v == "" {
			return nil, fmt.Errorf("peers: the %s is required with a peer service", f.name)
		}
	}
	caPEM, err := os.ReadFile(pc.CAFile)
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("peers: %s holds no PEM certificate", pc.CAFile)
	}
	// Peers are dialled by pod IP and verified against the Service's name:
	// every replica serves the same certificate. No proxy: peers are in-cluster.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, ServerName: pc.ServerName}}}
	slices, err := peers.NewSlices(restCfg, pc.Namespace)
	if err != nil {
		return nil, err
	}
	d := peers.NewDiscovery(ctx, slices, pc.Service, pc.PodIP, "https")
	return &peers.Forwarder{Local: h, Peers: d.Peers, HTTPClient: hc, TokenFile: pc.TokenFile, Log: log}, nil
}

func newWatcher(cfg Config, m *metrics.Metrics, h *hub.Hub, log *slog.Logger) (*kvwatch.Watcher, error) {
	hc, err := transport.New(transport.Options{CAFile: cfg.CAFile})
	if err != nil {
		return nil, err
	}
	cred, err := azure.NewCredential(azure.Options{HTTPClient: hc, DisableInstanceDiscovery: cfg.DisableInstanceDiscovery})
	if err != nil {
		return nil, err
	}
	return kvwatch.New(kvwatch.Options{Credential: cred, HTTPClient: hc, Interval: cfg.VaultInterval, Log: log, Metrics: m,
		DisableChallengeResourceVerification: cfg.DisableChallengeResourceVerification}, h), nil
}

// unwatchAll tells every subscribed vault's subscribers to keep polling.
func unwatchAll(ctx context.Context, h *hub.Hub, wake <-chan struct{}, reason string) {
	for {
		for _, v := range h.Vaults() {
			h.VaultUnwatched(v, reason)
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
	}
}

func serve(ctx context.Context, ln net.Listener, h http.Handler, getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error), log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: getCert},
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	log.Info("relay listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
