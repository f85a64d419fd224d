package server

import (
	"cmp"
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

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/client-go/rest"

	"github.com/fig-injector/fig-injector/injector/azure"
	"github.com/fig-injector/fig-injector/injector/certreload"
	"github.com/fig-injector/fig-injector/injector/kubeconfig"
	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/fleet"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/kvwatch"
	"github.com/fig-injector/fig-injector/injector/relay/lease"
	"github.com/fig-injector/fig-injector/injector/relay/metrics"
	"github.com/fig-injector/fig-injector/injector/relay/offlinestore"
	"github.com/fig-injector/fig-injector/injector/relay/peers"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
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
	// OfflineNamespace, when set, keeps the agents' offline copies as
	// Secrets there (the relay's own namespace); "" answers 501.
	OfflineNamespace string
	// OfflineRetention deletes a copy no pod has uploaded for this long
	// (a client that is gone); 0 keeps copies for ever.
	OfflineRetention time.Duration
}

// PeerConfig is how a replica finds and reaches the others.
type PeerConfig struct {
	Service        string // headless Service of the replicas, in Namespace
	Namespace      string // the relay's namespace
	ServiceAccount string // the relay's ServiceAccount: the only accepted forwarder
	PodIP          string // this replica, left out of the peers
	PodName        string // this replica's identity in the Lease
	LeaseName      string // the Lease (in Namespace) whose holder lists Key Vault for the cluster
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
	if r := cfg.OfflineRetention; r < 0 || r > 0 && r < wire.MinOfflineRetention {
		return fmt.Errorf("offline retention %s: fix: 0 (keep copies for ever) or at least %s (agents upload their copy again every %s)",
			r, wire.MinOfflineRetention, wire.OfflineRefresh)
	}
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
	var coord *fleet.Coordinator // set before the first subscription
	h := hub.New(func() { coord.LocalVaultsChanged() })
	m := metrics.New(reg, h.Subscribers)
	interval := cmp.Or(cfg.VaultInterval, kvwatch.DefaultInterval)
	fo := fleet.Options{Hub: h, Interval: interval, LeaseDuration: lease.DefaultLeaseDuration, Metrics: m, Log: log,
		NewWatcher: watcherFactory(cfg, interval, m, log)}
	var sink hook.Sink = h
	var peerAuth PeerAuthenticator
	var fwd *peers.Forwarder
	if cfg.Peers.Service != "" {
		if fwd, err = forwarder(ctx, cfg.Peers, restCfg, h, log); err != nil {
			return err
		}
		sink, peerAuth, fo.Peers, fo.Self = fwd, authz, fwd, cfg.Peers.PodName
	}
	coord = fleet.New(fo)
	var el *lease.Elector
	if fwd != nil {
		api, err := lease.NewAPI(restCfg, cfg.Peers.Namespace, cfg.Peers.LeaseName)
		if err != nil {
			return err
		}
		el = lease.New(lease.Config{API: api, Identity: cfg.Peers.PodName, Log: log, Lead: coord.Lead, Observed: coord.Observed})
	}
	// The elector releases the Lease when ctx ends; Run waits for that, so
	// another replica takes over at once instead of after a lease duration.
	elected := make(chan struct{})
	defer func() { <-elected }()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also on a serve error
	go func() {
		defer close(elected)
		if el == nil {
			coord.Lead(ctx) // the only replica lists
			return
		}
		go coord.Report(ctx)
		el.Run(ctx)
	}()
	ready := &Readiness{Certificate: certs.GetCertificate, Review: authz.Probe}
	opts := Options{Hub: h, Authorizer: authz, Peers: peerAuth, Fleet: coord, Metrics: m, Log: log, Ready: ready.Check,
		MetricsHandler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Hooks:          &hook.Handler{Verifier: verifier, Sink: sink, Metrics: m, Log: log}}
	if cfg.OfflineNamespace != "" {
		store, err := offlinestore.New(restCfg, cfg.OfflineNamespace)
		if err != nil {
			return err
		}
		opts.Offline = store
		if cfg.OfflineRetention > 0 {
			go (&offlinestore.Expiry{Store: store, Retention: cfg.OfflineRetention, Metrics: m, Log: log}).Run(ctx)
		}
	}
	srv := New(opts)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return serve(ctx, ln, srv, certs.GetCertificate, log)
}

// forwarder makes the hook sink that also wakes the other replicas.
func forwarder(ctx context.Context, pc PeerConfig, restCfg *rest.Config, h *hub.Hub, log *slog.Logger) (*peers.Forwarder, error) {
	for _, f := range []struct{ name, v string }{{"namespace", pc.Namespace}, {"service account", pc.ServiceAccount},
		{"pod IP", pc.PodIP}, {"pod name", pc.PodName}, {"lease name", pc.LeaseName}, {"token file", pc.TokenFile}, {"CA file", pc.CAFile}, {"server name", pc.ServerName}} {
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

// watcherFactory makes the Key Vault watcher of each term of leadership;
// without a Key Vault identity, one that reports every vault unwatched
// (Fig wake-ups still work; agents keep polling their vaults).
func watcherFactory(cfg Config, interval time.Duration, m *metrics.Metrics, log *slog.Logger) func(kvwatch.Sink, time.Duration) fleet.Watcher {
	hc, err := transport.New(transport.Options{CAFile: cfg.CAFile})
	var cred azcore.TokenCredential
	if err == nil {
		cred, err = azure.NewCredential(azure.Options{HTTPClient: hc, DisableInstanceDiscovery: cfg.DisableInstanceDiscovery})
	}
	if err != nil {
		log.Warn("no Key Vault identity: vaults are not watched, agents keep polling them", "error", err)
		reason := "the relay has no Key Vault identity: " + err.Error()
		return func(sink kvwatch.Sink, _ time.Duration) fleet.Watcher { return unwatched{sink: sink, reason: reason} }
	}
	return func(sink kvwatch.Sink, catchup time.Duration) fleet.Watcher {
		return kvwatch.New(kvwatch.Options{Credential: cred, HTTPClient: hc, Interval: interval, Log: log, Metrics: m, Catchup: catchup,
			DisableChallengeResourceVerification: cfg.DisableChallengeResourceVerification}, sink)
	}
}

// unwatched tells every subscribed vault's subscribers to keep polling.
type unwatched struct {
	sink   kvwatch.Sink
	reason string
}

func (u unwatched) Run(ctx context.Context, vaults func() []string, wake <-chan struct{}) {
	for {
		for _, v := range vaults() {
			u.sink.VaultUnwatched(v, u.reason)
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
