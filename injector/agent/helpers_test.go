package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// seededSecrets are the secret values of the example seed; no log line may
// contain them (SPEC §2.4: a test proves it).
var seededSecrets = []string{
	"dev-only-password", "dev-api-key-0001", "0f8e6a52-3c1b-4d7e-9a2f-5b6c7d8e9f01",
}

// fixture is a dev environment (the product's own emulators, over TLS) plus
// an agent configuration that reads it, and a log that is scanned for
// secrets when the test ends.
type fixture struct {
	t     *testing.T
	env   *dev.Env
	cfg   *config.Config
	out   string
	logs  *syncBuffer
	clock *testutil.Clock // the agent's and the emulators' (not Entra's)
}

// Fixture tests run in parallel: each has its own emulators on random ports
// and its own output directory.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, dev.Options{Seed: dev.ExampleSeed()})
}

// newFixtureWith is newFixture with the emulators started from opts (a seed
// of its own, extra certificate names); devenv.Start picks Dir and
// AgentListen.
//
// The agent (through options), Fig and the vaults share a fake clock that
// runs ten times faster than real time while the agent waits (AutoAdvance):
// polls, backoffs and coalescing windows pass quickly, and Fig's change
// stamps stay comparable with the agent's cursor. Tests that assert a
// schedule step the clock themselves (newSteppedFixture).
func newFixtureWith(t *testing.T, opts dev.Options) *fixture {
	t.Helper()
	f := newSteppedFixture(t, opts)
	f.clock.AutoAdvance(t, 5*time.Millisecond, 50*time.Millisecond)
	return f
}

// newSteppedFixture is newFixtureWith with a clock that moves only when
// the test moves it.
func newSteppedFixture(t *testing.T, opts dev.Options) *fixture {
	t.Helper()
	t.Parallel()
	clock := testutil.NewClock(time.Now())
	if opts.FigOptions.Now == nil {
		opts.FigOptions.Now = clock.Now
	}
	if opts.KeyVaultNow == nil {
		opts.KeyVaultNow = clock.Now
	}
	env, cfg := devenv.Start(t, opts)
	// The seed was stamped at the clock's start, in 100 ns steps when the
	// clock stood still (Fig's stamps only grow): the agent starts a second
	// later, as it would in real time, so its first cursor is past them all.
	clock.Add(time.Second)
	cfg.Fig.PollInterval = config.Dur(time.Second)
	for i := range cfg.KeyVaults {
		cfg.KeyVaults[i].PollInterval = config.Dur(time.Second)
	}
	cfg.InitTimeout = config.Dur(10 * time.Second)
	f := &fixture{t: t, env: env, cfg: cfg, out: cfg.Outputs[0].Path, logs: &syncBuffer{}, clock: clock}
	t.Cleanup(f.assertNoSecretInLogs)
	return f
}

func (f *fixture) options() agent.Options {
	fast := agent.Schedule{Jitter: 0.1, Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond, Min: 10 * time.Millisecond}
	return agent.Options{
		Logger:   slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Getenv:   func(string) string { return "" },
		Schedule: &fast,
		Clock:    f.clock,
	}
}

// steppedOptions are options whose every wait is exact, for a test that
// steps the clock: no jitter, the first polls one interval after the first
// render, and a coalescing window of window.
func (f *fixture) steppedOptions() agent.Options {
	opts := f.options()
	exact := agent.Schedule{Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond, Min: 10 * time.Millisecond, FixedStartup: true}
	opts.Schedule = &exact
	opts.CoalesceWindow = window
	return opts
}

// startStepped starts the agent with stepped options and moves the clock
// half a poll interval on, where the agent only waits: a change the test
// makes now is stamped after the agent's last fetch, as in real time (at
// the same instant, Fig would not count it as newer than the agent's
// cursor), and the next polls are half an interval away.
func (f *fixture) startStepped(opts agent.Options) {
	f.t.Helper()
	f.start(opts)
	f.awaitTimers(time.Second, time.Second) // the Fig poll, the vault poll
	f.clock.Add(halfPoll)
	f.awaitTimers(halfPoll, halfPoll)
}

const (
	halfPoll = 500 * time.Millisecond // half the fixture's poll interval
	window   = 25 * time.Millisecond  // the coalescing window of steppedOptions
)

// awaitTimers waits until the agent waits for exactly these durations on
// its clock (soonest first): it has finished reacting to the last step.
func (f *fixture) awaitTimers(want ...time.Duration) {
	f.t.Helper()
	testutil.Eventually(f.t, fmt.Sprintf("the agent waiting for %v", want), 15*time.Second, func() bool {
		return slices.Equal(f.clock.Pending(), want)
	})
}

// start runs the agent in sidecar mode and waits for the first file.
func (f *fixture) start(opts agent.Options) (stop func() error) {
	f.t.Helper()
	a, stop := f.runAgent(f.cfg, opts)
	f.awaitRunning(a)
	return stop
}

// runAgent runs an agent for cfg in sidecar mode until the test ends or
// stop is called, without waiting for anything.
func (f *fixture) runAgent(cfg *config.Config, opts agent.Options) (a *agent.Agent, stop func() error) {
	f.t.Helper()
	a, err := agent.New(context.Background(), cfg, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	f.t.Cleanup(func() { _ = stop() })
	return a, stop
}

// awaitRunning waits for a's first render and for Run to watch the files:
// Ready comes before the watch, and Run starts the pollers after it, so a
// poller waiting on the clock means that a file changed now is seen.
func (f *fixture) awaitRunning(a *agent.Agent) {
	f.t.Helper()
	f.eventually("the first render", func() bool { return a.Health().Ready() })
	f.eventually("the pollers started", func() bool { return len(f.clock.Pending()) > 0 })
}

// file returns the output as the .NET JSON provider would see it: a map of
// nested values.
func (f *fixture) file() map[string]any {
	f.t.Helper()
	data, err := os.ReadFile(f.out)
	if err != nil {
		f.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		f.t.Fatalf("output is not complete JSON: %v\n%s", err, data)
	}
	return m
}

// key reads a ":"-separated key from the output file ("" when absent).
func (f *fixture) key(key string) string {
	return testutil.JSONKey(f.file(), key)
}

// eventually polls cond until it holds or 15 s pass: the agent's changes
// arrive on its own schedule, and there is no event to await from outside.
func (f *fixture) eventually(what string, cond func() bool) {
	f.t.Helper()
	testutil.Eventually(f.t, what, 15*time.Second, cond)
}

func (f *fixture) assertNoSecretInLogs() {
	logs := f.logs.String()
	for _, s := range seededSecrets {
		if strings.Contains(logs, s) {
			f.t.Errorf("a seeded secret value appears in the agent's logs")
		}
	}
}

type syncBuffer = testutil.Buffer

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// dialLog records the addresses an agent dials (Options.Dial) and routes a
// host the test made up to an emulator, to prove what was, or was not,
// contacted.
type dialLog struct {
	mu    sync.Mutex
	dials []string
}

// dial records every address and sends from ("host:port") to to.
func (l *dialLog) dial(from, to string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		l.mu.Lock()
		l.dials = append(l.dials, addr)
		l.mu.Unlock()
		if addr == from {
			addr = to
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

// dialsTo counts the connections dialled to host.
func (l *dialLog) dialsTo(host string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.dials {
		if strings.HasPrefix(a, host+":") {
			n++
		}
	}
	return n
}
