// Package agent keeps the output files current: it loads every source,
// merges, writes each output atomically, tells the application, and then
// polls the sources until its context ends.
//
// One goroutine per source polls on its own jittered schedule and sends what
// changed to the run loop; the run loop alone owns the last good values,
// merges and writes, so writes never race and changes arriving together are
// coalesced into one write and one notification. A failing source keeps its
// last good values and the file stays as it is.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fig-injector/fig-injector/injector/clock"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/notify"
	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source/fig"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
	"github.com/fig-injector/fig-injector/injector/status"
	"github.com/fig-injector/fig-injector/injector/transport"
)

// ErrConfigChanged is returned by Run when the watched configuration file
// changed to a valid new configuration: the caller runs the agent built for
// it (Successor).
var ErrConfigChanged = errors.New("configuration changed")

// Options are the agent's inputs besides its configuration.
type Options struct {
	// Logger receives structured logs; never a secret value.
	Logger *slog.Logger
	// Metrics records renders, requests and latencies; nil records nothing.
	Metrics *status.Metrics
	// ConfigPath is the configuration file, watched in sidecar mode; when it
	// changes, Reload reads it again.
	ConfigPath string
	// Reload returns the configuration as it is now (re-reading ConfigPath
	// and re-applying flags); Run returns ErrConfigChanged when it differs.
	Reload func() (*config.Config, error)
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
	// Write replaces an output file (output.Write when nil); tests inject
	// failures such as a full disk here.
	Write output.WriteFunc
	// Dial routes outbound connections (tests); nil dials normally.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Clock drives time: every timestamp and every wait (poll intervals,
	// backoff, Retry-After, the coalescing window, the retry of a failed
	// write), the real clock when nil. RenderOnce keeps initTimeout on it
	// too (no retry is waited for that would come after it), and also as a
	// context deadline in real time, which ends a request in flight. Rand
	// drives jitter (a random source when nil).
	Clock clock.Clock
	Rand  *rand.Rand
	// Schedule overrides DefaultSchedule (tests use short backoffs).
	Schedule *Schedule
	// CoalesceWindow is how long the run loop waits for more changes after
	// one arrives before it writes (default 25 ms).
	CoalesceWindow time.Duration
	// StateDir is where an init agent leaves its handover (SaveHandover) and
	// where Run looks for one (classic injection: init, then sidecar).
	StateDir string
	// Version is the agent's own version: its User-Agent and the FigVersion
	// it reports (the application's version is fig.applicationVersion).
	Version string
	// Redactor blanks secrets and tokens in every outlet: the agent's logs
	// (it wraps Logger), its health (/healthz, /readyz, Fig's status) and
	// its errors. The agent tells it the secret values it holds. Pass the
	// process's one Redactor, wrapping the process's other logs too, so it
	// outlives a configuration reload; nil: the agent makes its own.
	Redactor *secret.Redactor
	// MemoryLimit is the container's memory limit in bytes (0: unknown).
	// The size limits follow it: a Fig answer up to 1/16 of it, one Key
	// Vault reference per 64 KiB (limits.go).
	MemoryLimit int64
}

// Agent renders one configuration. Create it with New; RenderOnce and Run
// may each be called once, RenderOnce first if at all.
type Agent struct {
	cfg      *config.Config
	opts     Options
	log      *slog.Logger
	sched    Schedule
	rngMu    sync.Mutex
	rng      *rand.Rand
	health   *health
	fig      *figSource // nil without fig
	vaults   *vaultSet
	targets  []*target
	notifier notify.Notifier // nil: nothing to tell
	// restarter is fig.restart's action; nil: Fig is told the agent
	// cannot restart the app.
	restarter notify.Notifier
	notices   chan string // a pending notification's reason (notify), one at most
	redactor  *secret.Redactor
	limits    limits
	state     state
	// successor is the agent for a changed configuration file (reload).
	successor *Agent
}

// target is one output file.
type target struct {
	out    config.Output
	format output.Format
	mode   fs.FileMode
	tmpl   *output.Template
}

// New builds an agent from a validated configuration: the one HTTP client,
// the Fig client, the vaults and the outputs. Nothing is fetched yet. A URI
// outside cfg.Allowlist is an error here too.
func New(ctx context.Context, cfg *config.Config, opts Options) (*Agent, error) {
	opts = withDefaults(opts)
	if err := cfg.CheckAllowlist(); err != nil {
		return nil, err // Complete checked it already, unless cfg did not come through it
	}
	a := &Agent{cfg: cfg, opts: opts, log: slog.New(opts.Redactor.Handler(opts.Logger.Handler())), sched: *opts.Schedule, rng: opts.Rand,
		redactor: opts.Redactor, limits: limitsFor(opts.MemoryLimit), health: newHealth(opts.Clock.Now, opts.Metrics, opts.Redactor),
		notices: make(chan string, 1),
		state:   state{conflicts: map[string]bool{}, problems: map[string]bool{}}}
	hc, err := transport.New(transport.Options{
		CAFile: cfg.TLS.CAFile, Dial: opts.Dial, UserAgent: "fig-injector/" + opts.Version,
		Observe: a.observer(cfg), MaxResponseBytes: a.limits.figResponse,
	})
	if err != nil {
		return nil, err // names tls.caFile and the fix already
	}
	if a.vaults, err = newVaultSet(cfg, hc, a.log, opts.Clock.Now, a.limits); err != nil {
		return nil, err
	}
	for _, v := range a.vaults.all() {
		a.health.track(v.healthName(), v.interval)
	}
	if a.notifier, err = newNotifier(cfg.Notify); err != nil {
		return nil, err
	}
	if cfg.Fig != nil {
		if a.restarter, err = newRestarter(cfg.Fig.Restart); err != nil {
			return nil, err
		}
		if a.fig, err = a.newFigSource(ctx, cfg.Fig); err != nil {
			return nil, err
		}
		a.health.track(status.SourceFig, cfg.Fig.PollInterval.D())
	}
	for i, o := range cfg.Outputs {
		t, err := newTarget(o)
		if err != nil {
			return nil, fmt.Errorf("outputs[%d]: %w", i, err)
		}
		a.targets = append(a.targets, t)
	}
	return a, nil
}

func withDefaults(o Options) Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Write == nil {
		o.Write = output.Write
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if o.Schedule == nil {
		s := DefaultSchedule
		o.Schedule = &s
	}
	if o.CoalesceWindow <= 0 {
		o.CoalesceWindow = 25 * time.Millisecond
	}
	if o.Version == "" {
		o.Version = fig.DefaultClientVersion
	}
	if o.Redactor == nil {
		o.Redactor = secret.NewRedactor()
	}
	return o
}

func (a *Agent) newFigSource(ctx context.Context, c *config.Fig) (*figSource, error) {
	var declaration *contract.Definition
	if c.Register != "" {
		d, err := contract.LoadDeclaration(c.Register)
		if err != nil {
			return nil, fmt.Errorf("fig.register: %w", err)
		}
		if d.Overrides, err = contract.Overrides(d, c.Overrides); err != nil {
			return nil, fmt.Errorf("fig.overrides: %w", err)
		}
		declaration = &d
	}
	// Fig gets its own client: its requests may take fig.requestTimeout
	// (Fig.Client's 60 s), longer than the shared client allows.
	figHC, err := transport.New(transport.Options{
		CAFile: a.cfg.TLS.CAFile, Dial: a.opts.Dial, UserAgent: "fig-injector/" + a.opts.Version,
		Observe: a.observer(a.cfg), Timeout: c.RequestTimeout.D(), MaxResponseBytes: a.limits.figResponse,
	})
	if err != nil {
		return nil, err
	}
	secret := a.remembered(newSecretFunc(c.ClientSecret, c.ClientName, a.opts.Getenv, a.vaults.readSecretURI, a.opts.Clock.Now))
	copies, err := a.newOfflineCopies(c, secret)
	if err != nil {
		return nil, err
	}
	client, err := fig.New(ctx, fig.Options{
		URIs: config.SplitURIs(c.APIURI), ClientName: c.ClientName, Instance: c.Instance,
		Secret:     secret,
		HTTPClient: figHC, Logger: a.log, Timeout: c.RequestTimeout.D(), MaxResponseBytes: a.limits.figResponse,
		// Fig shows the application, not the agent: its version, and the
		// pod's host name (the default, MachineName, is the pod's, which the
		// app's own Fig.Client would send too). FigVersion says honestly
		// which Fig client this is.
		ClientVersion: c.ApplicationVersion, FigVersion: "fig-injector/" + a.opts.Version,
	})
	if err != nil {
		return nil, err
	}
	return &figSource{
		client: client, declaration: declaration, constants: fig.HostConstants(ctx),
		now: a.opts.Clock.Now, log: a.log, interval: c.PollInterval.D(),
		appHealth: newAppProbe(c.AppHealthURL), copies: copies,
	}, nil
}

// Health is the agent's state for /healthz and /readyz.
func (a *Agent) Health() status.Health { return a.health }

// observer turns every outbound response into a request metric labelled by
// source kind only (never a URL path, which could name a secret).
func (a *Agent) observer(cfg *config.Config) func(host string, code int, d time.Duration) {
	figHosts := map[string]bool{}
	if cfg.Fig != nil {
		for _, u := range config.SplitURIs(cfg.Fig.APIURI) {
			if p, err := url.Parse(u); err == nil {
				figHosts[strings.ToLower(p.Host)] = true
				figHosts[strings.ToLower(p.Hostname())] = true
			}
		}
	}
	return func(host string, code int, _ time.Duration) {
		src := status.SourceKeyVault
		switch h := strings.ToLower(host); {
		case figHosts[h]:
			src = status.SourceFig
		case a.vaults == nil || a.vaults.get("https://"+h+"/") == nil:
			src = status.SourceEntra
		}
		a.opts.Metrics.ObserveRequest(src, code)
	}
}

// draw runs f with the agent's random source; pollers call it concurrently.
func (a *Agent) draw(f func(*rand.Rand) time.Duration) time.Duration {
	a.rngMu.Lock()
	defer a.rngMu.Unlock()
	return f(a.rng)
}

// childRand is a random source of its own for a successor, seeded from the
// agent's (a rand.Rand is not safe for concurrent use).
func (a *Agent) childRand() *rand.Rand {
	a.rngMu.Lock()
	defer a.rngMu.Unlock()
	return rand.New(rand.NewPCG(a.rng.Uint64(), a.rng.Uint64()))
}
