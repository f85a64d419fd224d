//go:build !agentonly

package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/devrelay"
	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/watch"
)

// agentStopGrace is how long the demo's agent has to exit after SIGTERM
// before it is killed.
const agentStopGrace = 10 * time.Second

// devFlags are the flags of `fig-injector dev`.
type devFlags struct {
	seed, dir, host, listenHost   string
	agentListen, issuerCA         string
	figPort, entraPort, vaultPort int
	relayPort                     int
	figPoll                       time.Duration
	sans                          listFlag
	demo                          bool
	log                           logFlags
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

func (f *devFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.seed, "seed", "", "seed file, watched for edits (default: <dir>/seed.yaml, created from the example when missing)")
	fs.StringVar(&f.dir, "dir", "demo", "directory for the CA, token, client secret, agent.yaml and the agent's output")
	fs.StringVar(&f.host, "host", dev.DefaultHost, "host name or address in the URLs clients use (added to the certificate)")
	fs.StringVar(&f.listenHost, "listen-host", "", "address to bind (default: --host; 0.0.0.0 in a cluster)")
	fs.IntVar(&f.figPort, "fig-port", 7281, "port of the Fig API emulator (0: a free port)")
	fs.IntVar(&f.entraPort, "entra-port", 7282, "port of the Entra ID emulator (0: a free port)")
	fs.IntVar(&f.vaultPort, "vault-port", 7283, "port of the first Key Vault; later vaults in seed order take the next ports (0: free ports)")
	fs.Var(&f.sans, "san", "extra DNS name or IP address for the certificate (repeatable), e.g. fig-dev.fig-dev.svc")
	fs.StringVar(&f.agentListen, "agent-listen", dev.DefaultAgentListen, "listen address written into agent.yaml for the agent's /healthz, /readyz and /metrics")
	fs.StringVar(&f.issuerCA, "issuer-ca", "", "verify each federated assertion's signature against its issuer's OIDC discovery and JWKS, "+
		"as Entra ID does, trusting the CA certificates in this PEM file (in a cluster: the kube-root-ca.crt ConfigMap); "+
		"default: claims only, so dev's own minted tokens work")
	fs.IntVar(&f.relayPort, "relay-port", 7280, "port of the relay --demo runs in-process (0: a free port)")
	fs.DurationVar(&f.figPoll, "fig-poll-interval", 0, "Fig poll interval written into agent.yaml; 0 means 2s, or 30s with --demo (Fig.Client's default: the relay pushes changes)")
	fs.BoolVar(&f.demo, "demo", false, "also run the relay and the agent against the emulators (Fig's web hooks go to the relay, the agent subscribes) and print the file the agent writes, again on every change")
	f.log.register(fs, "text", "info") // dev is for people at a terminal
}

// runDev is `fig-injector dev` (SPEC §4): the emulators on loopback, seeded
// from a watched file, and with --demo the agent too. All logic lives in
// injector/dev; this maps flags, prints what a user needs and, for --demo,
// supervises the agent process.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dev", stderr)
	var f devFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log, err := f.log.logger(stderr)
	if err != nil {
		return err
	}
	seed := f.seed
	if seed == "" {
		if err := os.MkdirAll(f.dir, 0o700); err != nil {
			return fmt.Errorf("dev dir: %w", err)
		}
		seed = filepath.Join(f.dir, dev.SeedFileName)
		created, err := dev.WriteExampleSeed(seed)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintf(stdout, "Wrote the example seed to %s.\n", seed)
		}
	}
	issuerClient, err := issuerClient(f.issuerCA)
	if err != nil {
		return err
	}
	opts := dev.Options{
		Dir: f.dir, SeedFile: seed, Host: f.host, ListenHost: f.listenHost,
		FigPort: f.figPort, EntraPort: f.entraPort, VaultPort: f.vaultPort,
		SANs: f.sans, AgentListen: f.agentListen, Logger: log, FigPollInterval: f.figPoll,
		EntraOptions: entra.Options{IssuerClient: issuerClient},
	}
	var relay *devrelay.Relay
	if f.demo {
		if relay, err = devrelay.Listen(devrelay.Options{Host: f.host, ListenHost: f.listenHost, Port: f.relayPort,
			Dir: f.dir, VaultInterval: demoRelayVaultInterval, Log: log}); err != nil {
			return err
		}
		opts.FigOptions.WebHooks = []figapi.WebHookClient{relay.WebHook()}
		opts.AgentRelay = relay.AgentConfig()
		opts.FigPollInterval = cmp.Or(f.figPoll, demoFigPollInterval)
	}
	env, err := dev.Start(ctx, opts)
	if err != nil {
		if relay != nil {
			_ = relay.Close()
		}
		return err
	}
	printEnv(stdout, env, relay)
	if f.demo {
		if err = relay.Serve(env); err == nil {
			err = runDemo(ctx, env, log, stdout, stderr)
		}
		fmt.Fprintln(stdout, "Stopping the relay.")
		err = errors.Join(err, relay.Close())
	} else {
		<-ctx.Done()
	}
	fmt.Fprintln(stdout, "Stopping the emulators.")
	return errors.Join(err, env.Close())
}

// With --demo the agent polls Fig at Fig.Client's default interval, so what
// brings a change within a second is the relay's push; the relay lists the
// vault every second, so a rotation shows as soon.
const (
	demoFigPollInterval    = 30 * time.Second
	demoRelayVaultInterval = time.Second
)

// issuerClient is the HTTP client the Entra emulator fetches issuers' keys
// with, trusting the PEM bundle at caFile; nil (claims only) without one.
func issuerClient(caFile string) (*http.Client, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--issuer-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--issuer-ca: %s holds no PEM certificate: give the issuer's CA bundle", caFile)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}, nil
}

// printEnv tells the user what runs, what was written and what to do next;
// relay is the demo's (nil without --demo).
func printEnv(w io.Writer, env *dev.Env, relay *devrelay.Relay) {
	s := env.Seed()
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("\nfig-injector dev: emulators running (TLS from the dev CA)\n\n")
	client := ""
	if len(s.Fig.Clients) > 0 {
		client = s.Fig.Clients[0].Name
	}
	p("  Fig API    %-28s clients: %d\n", env.FigURL, len(s.Fig.Clients))
	p("  Entra ID   %-28s tenant %s, identities: %d\n", env.EntraURL, env.TenantID, len(s.Identities))
	for _, name := range env.VaultNames {
		p("  Key Vault  %-28s %s\n", env.VaultURLs[name], name)
	}
	if relay != nil {
		p("  Relay      %-28s Fig's web hooks in, the agent's wake-ups out; lists each vault every %s\n", relay.URL, demoRelayVaultInterval)
	}
	p("\nFiles in %s:\n", rel(env.Dir))
	files := []struct{ path, what string }{
		{env.SeedFile, "the seed, watched: edit and save it and the emulators follow"},
		{env.CAFile, "the CA certificate to trust (tls.caFile, SSL_CERT_FILE)"},
		{env.TokenFile, "federated token of the first identity (refreshed before it expires)"},
		{env.FigSecretFile, "client secret of " + client},
		{env.AgentConfigPath, "agent configuration for these emulators"},
	}
	if relay != nil {
		files = append(files, struct{ path, what string }{relay.TokenFile, "the token the agent subscribes to the relay with"})
	}
	for _, f := range files {
		if _, err := os.Stat(f.path); f.path != "" && err == nil {
			p("  %-12s %s\n", filepath.Base(f.path), f.what)
		}
	}
	p("\nNext steps:\n")
	if relay == nil {
		p("  fig-injector agent --mode=sidecar --config %s --log-format=text\n", rel(env.AgentConfigPath))
		p("      writes %s; then edit %s (e.g. change Location) and watch it change.\n", rel(env.OutputPath), rel(env.SeedFile))
	}
	if client != "" {
		p("  curl --cacert %s -H \"clientSecret: $(cat %s)\" \"%s/clients/%s/settings?runSessionId=$(uuidgen)\"\n",
			rel(env.CAFile), rel(env.FigSecretFile), env.FigURL, client)
	}
	if len(s.Identities) > 0 {
		p("  Azure SDK clients: AZURE_TENANT_ID=%s AZURE_CLIENT_ID=%s AZURE_FEDERATED_TOKEN_FILE=%s AZURE_AUTHORITY_HOST=%s SSL_CERT_FILE=%s\n",
			env.TenantID, s.Identities[0].ClientID, rel(env.TokenFile), env.EntraURL, rel(env.CAFile))
		p("      (disable instance discovery and challenge resource verification, as agent.yaml does)\n")
	}
	p("\nPress Ctrl-C to stop.\n\n")
}

// runDemo runs the agent against env as a child process and prints its
// output file whenever it changes, until ctx ends (the agent then gets
// SIGTERM and is waited for) or the agent exits.
func runDemo(ctx context.Context, env *dev.Env, log *slog.Logger, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("demo: find this executable: %w", err)
	}
	// A file from an earlier run would look like this run's first render.
	if err := os.Remove(env.OutputPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("demo: %w", err)
	}
	w, err := watch.New(log)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer w.Close()
	if err := w.Add(env.OutputPath); err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	cmd := exec.CommandContext(ctx, exe, "agent", "--mode=sidecar", "--config", env.AgentConfigPath, "--log-format=text")
	cmd.Stdout, cmd.Stderr = stderr, stderr // stdout is for the file
	cmd.SysProcAttr = ownProcessGroup()     // Ctrl-C reaches only us; we forward SIGTERM
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = agentStopGrace
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("demo: start the agent: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	fmt.Fprintf(stdout, "Started the agent (pid %d); waiting for %s …\n", cmd.Process.Pid, rel(env.OutputPath))

	var last []byte
	var change <-chan time.Time // the demo's own change, once, after the first file
	var arrivals *demoArrivals  // how long the change took to reach the file
	for {
		select {
		case <-change:
			changed := time.Now()
			if report, err := env.DemoChange(); err != nil {
				fmt.Fprintf(stdout, "(The demo's own change needs the example seed: %v.)\n", err)
			} else {
				arrivals = newDemoArrivals(changed)
				fmt.Fprintln(stdout, report)
			}
		case <-ctx.Done():
			fmt.Fprintln(stdout, "Stopping the agent.")
			if err := <-exited; err != nil && ctx.Err() == nil {
				return fmt.Errorf("demo: agent: %w", err)
			}
			return nil
		case err := <-exited:
			if err == nil {
				err = errors.New("exited")
			}
			return fmt.Errorf("demo: the agent stopped: %w (its log is above)", err)
		case _, ok := <-w.Events():
			if !ok {
				return errors.New("demo: output watcher closed")
			}
			data, err := os.ReadFile(env.OutputPath)
			if err != nil || string(data) == string(last) {
				continue // removed for a moment, or rewritten unchanged
			}
			fmt.Fprintf(stdout, "── %s (%s) ──\n%s\n", rel(env.OutputPath), time.Now().Format(time.TimeOnly), strings.TrimRight(string(data), "\n"))
			arrivals.report(stdout, data)
			if last == nil {
				fmt.Fprintf(stdout, "\nIn %s the demo changes a Fig value and rotates a Key Vault secret itself; then edit %s (e.g. the value of Location) and save it: the file is rewritten within seconds.\n\n",
					dev.DemoChangeAfter, rel(env.SeedFile))
				change = time.After(dev.DemoChangeAfter)
			}
			last = data
		}
	}
}

// rel shortens a path below the working directory, for commands a user
// copies; other paths stay absolute.
func rel(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	r, err := filepath.Rel(wd, path)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return path
	}
	return r
}

// demoArrivals times the demo's own change: from the moment it was made to
// the first file holding each new value, printed once per value.
type demoArrivals struct {
	at      time.Time
	pending []demoArrival
}

type demoArrival struct{ value, what string }

func newDemoArrivals(at time.Time) *demoArrivals {
	return &demoArrivals{at: at, pending: []demoArrival{
		{`"` + dev.DemoLocation + `"`, "Fig change → file: %s (Fig's web hook → relay → agent fetch: pushed, the Fig poll is every " + demoFigPollInterval.String() + ")"},
		{`"` + dev.DemoAPIKey + `"`, "Key Vault rotation → file: %s (the relay's list pass every " + demoRelayVaultInterval.String() + " → agent GET)"},
	}}
}

// report prints the arrival of each pending value data holds.
func (d *demoArrivals) report(w io.Writer, data []byte) {
	if d == nil {
		return
	}
	took := time.Since(d.at)
	d.pending = slices.DeleteFunc(d.pending, func(a demoArrival) bool {
		if !strings.Contains(string(data), a.value) {
			return false
		}
		fmt.Fprintf(w, a.what+"\n", took.Round(time.Millisecond))
		return true
	})
}
