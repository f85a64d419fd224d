package dev

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fig-injector/fig-injector/injector/clock"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev/devca"
	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
)

// Defaults for Options.
const (
	DefaultHost     = "127.0.0.1"
	DefaultTokenTTL = time.Hour // what AKS projects; refreshed after 80%
)

// Options configure Start. The zero value (with Dir set) serves the example
// seed on random loopback ports.
type Options struct {
	// Dir holds the CA (kept across restarts, so clients that trust ca.crt
	// keep working), the token, the Fig secret, agent.yaml and the agent's
	// output path. Required; created when missing.
	Dir string
	// SeedFile is a seed file to load and then watch: each saved edit is
	// applied as a whole (see Seed).
	SeedFile string
	// Seed is a seed given as bytes (not watched; change it with
	// Env.Apply). When neither Seed nor SeedFile is set, ExampleSeed is used.
	Seed []byte
	// Host is the name or address clients use in URLs; default 127.0.0.1.
	// A name that is not loopback is added to the certificate.
	Host string
	// ListenHost is the address the listeners bind; default Host. Use
	// 0.0.0.0 in a cluster, with Host set to the Service name.
	ListenHost string
	// FigPort, EntraPort and VaultPort are the ports of the Fig API, Entra
	// ID and the first vault (the n-th vault in seed order gets VaultPort+n).
	// Zero picks free ports.
	FigPort, EntraPort, VaultPort int
	// SANs are extra DNS names or IP addresses for the certificate.
	SANs []string
	// AgentListen is the listen address written into agent.yaml; default
	// DefaultAgentListen. Tests that run agents in parallel use
	// "127.0.0.1:0".
	AgentListen string
	// TokenTTL is the lifetime of minted federated tokens; default
	// DefaultTokenTTL.
	TokenTTL time.Duration
	// Logger receives what dev does (seed applied or refused, versions
	// created) and the emulators' request lines at debug level. Nil discards.
	Logger *slog.Logger
	// OnReload, when set, is called after each attempt to apply an edit of
	// SeedFile, with nil when it was applied; tests await it.
	OnReload func(error)
	// FigOptions and EntraOptions are passed to the emulators (Logger
	// defaults to Logger).
	FigOptions   figapi.Options
	EntraOptions entra.Options
	// KeyVaultNow is the vaults' clock (secret timestamps); nil means
	// time.Now. A test whose agent runs on a fake clock passes it here and
	// as FigOptions.Now, so change stamps and the agent's cursors agree.
	KeyVaultNow func() time.Time
	// AgentRelay, when set, is agent.yaml's relay section: the agent
	// subscribes to that relay (devrelay runs one in-process).
	AgentRelay *config.Relay
	// FigPollInterval is the Fig poll interval written into agent.yaml;
	// zero means DemoFigPollInterval.
	FigPollInterval time.Duration
	// FigCleanupClock times the Fig emulator's session clean-up
	// (figapi.Server.RunSessionCleanup, on Fig's schedule); nil means real
	// time. A test on a fake clock passes it with FigOptions.Now.
	FigCleanupClock clock.Clock
}

// Env is a running dev environment. Its fields do not change after Start;
// the emulators are safe for concurrent use, so tests may drive them.
type Env struct {
	Fig    *figapi.Server
	Entra  *entra.Server
	Vaults map[string]*keyvault.Server // by vault name as in the seed at start
	CA     *devca.CA

	FigURL    string            // e.g. https://127.0.0.1:7281
	EntraURL  string            // authority host, e.g. https://127.0.0.1:7282/
	VaultURLs map[string]string // vault URL by name, e.g. https://127.0.0.1:7283/
	// VaultNames lists the vaults in seed order.
	VaultNames []string
	TenantID   string

	Dir             string // absolute
	SeedFile        string // "" when the seed was given as bytes
	CAFile          string // Dir/ca.crt
	TokenFile       string // Dir/token, written while the seed has an identity
	FigSecretFile   string // Dir/fig-secret, written while the seed has a Fig client
	AgentConfigPath string // Dir/agent.yaml
	OutputPath      string // Dir/appsettings.json, the agent's output

	log         *slog.Logger
	agentListen string
	agentRelay  *config.Relay
	figPoll     time.Duration
	emu         *emulators
	token       *tokenFile
	servers     []*server
	serving     bool // the servers' goroutines run (else Close closes the listeners)
	onReload    func(error)

	mu   sync.Mutex // serialises applies; guards cur and last
	cur  *plan
	last []byte // the seed file bytes last attempted

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	err    error // from Close
}

// Start runs the emulators, applies the seed and writes the files of Env
// into Options.Dir. It returns once every listener accepts connections.
// The environment runs until Close is called or ctx ends; call Close in
// either case to release the ports and wait for the goroutines.
func Start(ctx context.Context, opts Options) (*Env, error) {
	if opts.Dir == "" {
		return nil, errors.New("dev: Options.Dir is required")
	}
	if opts.Seed != nil && opts.SeedFile != "" {
		return nil, errors.New("dev: set Options.Seed or Options.SeedFile, not both")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("dev dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dev dir: %w", err)
	}
	e := &Env{
		Dir:             dir,
		CAFile:          filepath.Join(dir, devca.CACertFile),
		AgentConfigPath: filepath.Join(dir, AgentConfigName),
		OutputPath:      filepath.Join(dir, OutputFileName),
		log:             opts.Logger,
		agentListen:     cmpOr(opts.AgentListen, DefaultAgentListen),
		agentRelay:      opts.AgentRelay,
		figPoll:         cmpOr(opts.FigPollInterval, DemoFigPollInterval),
		onReload:        opts.OnReload,
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	seed := opts.Seed
	if opts.SeedFile != "" {
		if e.SeedFile, err = filepath.Abs(opts.SeedFile); err != nil {
			return nil, fmt.Errorf("seed file: %w", err)
		}
		if seed, err = os.ReadFile(e.SeedFile); err != nil {
			return nil, fmt.Errorf("read seed: %w", err)
		}
	} else if seed == nil {
		seed = ExampleSeed()
	}
	p, err := compile(seed)
	if err != nil {
		return nil, fmt.Errorf("seed %s:\n%w", cmpOr(e.SeedFile, "(given as bytes)"), err)
	}
	e.last = seed
	e.TenantID = p.tenant
	e.TokenFile = filepath.Join(dir, TokenFileName)
	e.FigSecretFile = filepath.Join(dir, FigSecretFileName)
	if e.CA, err = devca.LoadOrCreate(dir); err != nil {
		return nil, fmt.Errorf("dev CA: %w", err)
	}
	if err := e.start(ctx, opts, p); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// start opens the listeners, creates and fills the emulators, writes the
// files and starts the background work.
func (e *Env) start(ctx context.Context, opts Options, p *plan) error {
	host := cmpOr(opts.Host, DefaultHost)
	bind := cmpOr(opts.ListenHost, host)
	tlsCfg, err := e.CA.TLSConfig(append([]string{host}, opts.SANs...)...)
	if err != nil {
		return fmt.Errorf("dev certificate: %w", err)
	}
	ctx, e.cancel = context.WithCancel(ctx)

	figLn, err := listen("Fig API", bind, opts.FigPort)
	if err != nil {
		return err
	}
	e.FigURL = "https://" + joinHostPort(host, figLn.Addr())
	e.servers = append(e.servers, newServer(figLn, nil, tlsCfg, e.log))
	entraLn, err := listen("Entra ID", bind, opts.EntraPort)
	if err != nil {
		return err
	}
	e.EntraURL = "https://" + joinHostPort(host, entraLn.Addr()) + "/"
	e.servers = append(e.servers, newServer(entraLn, nil, tlsCfg, e.log))

	figOpts := opts.FigOptions
	figOpts.Logger = cmpOr(figOpts.Logger, e.log)
	if figOpts.WebHookHTTPClient == nil {
		figOpts.WebHookHTTPClient = webHookClient(e.CA)
	}
	entraOpts := opts.EntraOptions
	entraOpts.Logger = cmpOr(entraOpts.Logger, e.log)
	e.Fig = figapi.New(figOpts)
	e.Entra = entra.New(entraOpts)
	e.servers[0].srv.Handler = e.Fig
	e.servers[1].srv.Handler = e.Entra
	e.emu = &emulators{fig: e.Fig, entra: e.Entra, vaults: map[string]*keyvault.Server{}, log: e.log}
	e.Vaults = map[string]*keyvault.Server{}
	e.VaultURLs = map[string]string{}
	for i, v := range p.vaults {
		port := 0
		if opts.VaultPort != 0 {
			port = opts.VaultPort + i
		}
		ln, err := listen("Key Vault "+v.name, bind, port)
		if err != nil {
			return err
		}
		kv, err := keyvault.New(keyvault.Options{
			Name: v.name, TenantID: p.tenant, Validator: e.Entra,
			Authority: strings.TrimSuffix(e.EntraURL, "/"), Logger: e.log, Now: opts.KeyVaultNow,
		})
		if err != nil {
			ln.Close()
			return fmt.Errorf("key vault %s: %w", v.name, err)
		}
		e.servers = append(e.servers, newServer(ln, kv, tlsCfg, e.log))
		e.Vaults[v.name] = kv
		e.VaultURLs[v.name] = "https://" + joinHostPort(host, ln.Addr()) + "/"
		e.VaultNames = append(e.VaultNames, v.name)
		e.emu.vaults[strings.ToLower(v.name)] = kv
	}

	if err := e.emu.apply(nil, p); err != nil {
		return fmt.Errorf("apply seed: %w", err)
	}
	e.cur = p
	e.token = newTokenFile(e.TokenFile, cmpOr(opts.TokenTTL, DefaultTokenTTL), e.log)
	if err := e.writeFiles(p); err != nil {
		return err
	}
	e.serving = true
	for _, s := range e.servers {
		e.wg.Go(s.serve)
	}
	e.wg.Go(func() { e.token.run(ctx) })
	e.wg.Go(func() { e.Fig.RunSessionCleanup(ctx, opts.FigCleanupClock) })
	e.wg.Go(func() {
		<-ctx.Done()
		for _, s := range e.servers {
			s.shutdown()
		}
	})
	if e.SeedFile != "" {
		w, err := newSeedWatcher(e)
		if err != nil {
			return err
		}
		e.wg.Go(func() { w.run(ctx) })
	}
	e.log.Info("dev environment started", "fig", e.FigURL, "entra", e.EntraURL, "vaults", len(e.Vaults), "dir", e.Dir)
	return nil
}

// writeFiles writes what the agent reads: the Fig secret, the token and
// agent.yaml. Unchanged files are left alone, so an agent watching them sees
// only real changes.
func (e *Env) writeFiles(p *plan) error {
	if c := p.firstClient(); c != nil {
		if _, err := writeFile(e.FigSecretFile, []byte(c.Secret+"\n"), 0o600); err != nil {
			return fmt.Errorf("fig secret: %w", err)
		}
	}
	if err := e.token.set(p.firstIdentity()); err != nil {
		return err
	}
	data, err := config.Marshal(e.agentConfig(p))
	if err != nil {
		return fmt.Errorf("agent config: %w", err)
	}
	header := "# Written by fig-injector dev for its emulators; rewritten when the seed changes.\n"
	if _, err := writeFile(e.AgentConfigPath, append([]byte(header), data...), 0o644); err != nil {
		return fmt.Errorf("agent config: %w", err)
	}
	return nil
}

// Apply replaces the emulators' state with seed, as a saved edit of the seed
// file does: all of it, or (on error) none of it. The error joins
// *FieldError values naming each problem and its fix.
func (e *Env) Apply(seed []byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.applyLocked(seed)
}

func (e *Env) applyLocked(seed []byte) error {
	next, err := compile(seed)
	if err != nil {
		return err
	}
	if err := fixed(e.cur, next); err != nil {
		return err
	}
	err = e.emu.apply(e.cur, next)
	e.cur = next // what was applied is the base of the next diff, even in part
	if err != nil {
		return fmt.Errorf("apply seed: %w", err)
	}
	return e.writeFiles(next)
}

// Seed returns the seed applied last. It is shared: do not modify it.
func (e *Env) Seed() *Seed {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cur.seed
}

// HTTPClient returns a client that trusts the dev CA only, for tests that
// call the emulators directly.
func (e *Env) HTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: e.CA.ClientTLSConfig()}, Timeout: 30 * time.Second}
}

// Close stops the listeners, the token refresh and the seed watcher, and
// waits for them. It is safe to call more than once. The error reports a
// listener that failed while serving.
func (e *Env) Close() error {
	e.once.Do(func() {
		if e.cancel != nil {
			e.cancel()
		}
		if !e.serving { // a Start that failed half-way
			for _, s := range e.servers {
				s.ln.Close()
			}
		}
		e.wg.Wait()
		var errs []error
		for _, s := range e.servers {
			errs = append(errs, s.err)
		}
		e.err = errors.Join(errs...)
	})
	return e.err
}

// cmpOr is cmp.Or for values that are not ordered (loggers).
func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// webHookClient sends the Fig emulator's web hooks, trusting the system
// roots and the dev CA (a relay run locally can use a certificate from it).
func webHookClient(ca *devca.CA) *http.Client {
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	roots.AddCert(ca.Certificate())
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment,
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}}}
}
