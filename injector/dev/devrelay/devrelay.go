// Package devrelay runs the cluster relay (injector/relay: its hook
// handler, hub, server and Key Vault list pass, the code `fig-injector
// relay` runs) in-process next to dev's emulators, as `fig-injector dev
// --demo` and the benchmarks use it: the Fig emulator posts its web hooks
// to it, agents subscribe to it, and it lists the seed's vaults with the
// seed's identity.
//
// What differs from a cluster is only who may subscribe: instead of a
// TokenReview, the relay accepts the one random token it writes to a file
// (the agent's relay.tokenFile), and every holder may hear about what it
// asks for.
//
// Use: Listen (before dev.Start, so the receiver and the agent's relay
// section go into the emulator's options and agent.yaml), then Serve once
// the environment runs, then Close.
package devrelay

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/fig-injector/fig-injector/injector/azure"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/kvwatch"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/injector/transport"
)

// TokenFileName is the subscriber token's file in dev's directory.
const TokenFileName = "relay-token"

// Options configure Listen.
type Options struct {
	// Host is the name clients use in the relay's URL (dev's --host) and
	// ListenHost the address it binds (default Host); Port 0 picks a free
	// one.
	Host, ListenHost string
	Port             int
	// Dir is where the subscriber token is written (dev's directory).
	Dir string
	// VaultInterval is how often the relay lists each subscribed vault;
	// default kvwatch.DefaultInterval.
	VaultInterval time.Duration
	// Log receives the relay's log; nil discards it.
	Log *slog.Logger
}

// Relay is an in-process relay.
type Relay struct {
	// URL is the relay's base URL, e.g. https://127.0.0.1:7280.
	URL string
	// TokenFile holds the token subscribers present.
	TokenFile string
	// Hub is the relay's subscriber hub (Subscribers, for tests).
	Hub *hub.Hub

	opts       Options
	ln         net.Listener
	hookSecret string
	token      string
	srv        *http.Server
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

// Listen opens the relay's listener and writes its subscriber token; it
// serves nothing until Serve.
func Listen(opts Options) (*Relay, error) {
	if opts.Dir == "" {
		return nil, errors.New("devrelay: Options.Dir is required")
	}
	// agent.yaml's relay.tokenFile must be absolute, as dev's own paths are.
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("relay dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("relay dir: %w", err)
	}
	host := cmpOr(opts.Host, dev.DefaultHost)
	ln, err := net.Listen("tcp", net.JoinHostPort(cmpOr(opts.ListenHost, host), fmt.Sprint(opts.Port)))
	if err != nil {
		return nil, fmt.Errorf("relay: listen on port %d: %w (is another relay or dev running? pick another port or 0)", opts.Port, err)
	}
	r := &Relay{opts: opts, ln: ln, hookSecret: rand.Text(), token: rand.Text(), TokenFile: filepath.Join(dir, TokenFileName)}
	r.URL = "https://" + net.JoinHostPort(host, fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
	if err := os.WriteFile(r.TokenFile, []byte(r.token+"\n"), 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("relay token: %w", err)
	}
	return r, nil
}

// WebHook is the receiver to configure in the Fig emulator
// (figapi.Options.WebHooks): SettingValueChanged for every client and
// setting, with the relay's secret.
func (r *Relay) WebHook() figapi.WebHookClient {
	return figapi.WebHookClient{Name: "relay", BaseURI: r.URL + server.HookPrefix, Secret: r.hookSecret,
		Hooks: []figapi.WebHook{{Type: figapi.WebHookSettingValueChanged, ClientNameRegex: ".*", SettingNameRegex: ".*"}}}
}

// AgentConfig is the agent's relay section (dev.Options.AgentRelay).
func (r *Relay) AgentConfig() *config.Relay {
	return &config.Relay{URL: r.URL, TokenFile: r.TokenFile}
}

// Serve starts serving with a certificate from env's CA, and the Key Vault
// list pass with the identity of env's agent.yaml (the seed's first
// identity); without one, the vaults stay on the agents' own polling.
func (r *Relay) Serve(env *dev.Env) error {
	log := r.opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The web UI hashes the secret at cost 11; the minimum is as safe for a
	// random secret on loopback and starts faster.
	hashed, err := hook.EnhancedHash(r.hookSecret, bcrypt.MinCost)
	if err != nil {
		return err
	}
	verifier, err := hook.NewVerifier(hashed)
	if err != nil {
		return err
	}
	tlsCfg, err := env.CA.TLSConfig(cmpOr(r.opts.Host, dev.DefaultHost))
	if err != nil {
		return fmt.Errorf("relay certificate: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	wake := make(chan struct{}, 1)
	r.Hub = hub.New(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	if w, err := r.watcher(env, log); err != nil {
		log.Warn("relay: vaults not watched, agents keep polling them", "error", err)
	} else {
		r.wg.Go(func() { w.Run(ctx, r.Hub.Vaults, wake) })
	}
	r.srv = &http.Server{
		Handler: server.New(server.Options{Hub: r.Hub, Authorizer: tokenAuthorizer(r.token), Log: log,
			Hooks: &hook.Handler{Verifier: verifier, Sink: r.Hub, Log: log}}),
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	r.wg.Go(func() { _ = r.srv.ServeTLS(r.ln, "", "") })
	log.Info("relay listening", "url", r.URL)
	return nil
}

// watcher is the Key Vault list pass with the identity agent.yaml names.
func (r *Relay) watcher(env *dev.Env, log *slog.Logger) (*kvwatch.Watcher, error) {
	cfg, err := config.Load(env.AgentConfigPath, func(string) string { return "" })
	if err != nil {
		return nil, err
	}
	if cfg.Azure.ClientID == "" {
		return nil, errors.New("the seed has no identity")
	}
	hc, err := transport.New(transport.Options{CAFile: cfg.TLS.CAFile})
	if err != nil {
		return nil, err
	}
	cred, err := azure.NewCredential(azure.Options{ClientID: cfg.Azure.ClientID, TenantID: cfg.Azure.TenantID,
		TokenFile: cfg.Azure.TokenFile, AuthorityHost: cfg.Azure.AuthorityHost, DisableInstanceDiscovery: true, HTTPClient: hc})
	if err != nil {
		return nil, err
	}
	return kvwatch.New(kvwatch.Options{Credential: cred, HTTPClient: hc, Interval: r.opts.VaultInterval, Log: log,
		DisableChallengeResourceVerification: true}, r.Hub), nil
}

// Close stops the relay as a crash would for its subscribers: every stream
// is cut (they go back to their own polling and reconnect with backoff) and
// the list pass stops.
func (r *Relay) Close() error {
	if r.srv == nil {
		return r.ln.Close()
	}
	r.cancel()
	err := r.srv.Close() // closes the listener and every connection, streams included
	r.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// tokenAuthorizer accepts the one token the relay wrote, for any
// subscription: dev's stand-in for TokenReview and the pod's annotations.
type tokenAuthorizer string

func (t tokenAuthorizer) Authorize(_ context.Context, token string, want wire.Subscription) (auth.Identity, wire.Subscription, error) {
	if subtle.ConstantTimeCompare([]byte(token), []byte(t)) != 1 {
		return auth.Identity{}, wire.Subscription{}, fmt.Errorf("%w: not the token in %s", auth.ErrUnauthenticated, TokenFileName)
	}
	return auth.Identity{Namespace: "dev", Pod: "agent"}, want, nil
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

var _ auth.Authorizer = tokenAuthorizer("")
