package fault

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// fixture is the product's emulators (over TLS, from the example seed) and
// an agent configuration that reads them, with fast poll intervals and
// backoffs so that a fault and its recovery both happen within seconds.
type fixture struct {
	t    *testing.T
	env  *dev.Env
	cfg  *config.Config
	out  string
	logs *testutil.Buffer
}

// envOptions tune the emulators of one fixture.
type envOptions struct {
	entra entra.Options
}

func newFixture(t *testing.T, eo envOptions) *fixture {
	t.Helper()
	env, cfg := devenv.Start(t, dev.Options{Seed: dev.ExampleSeed(), EntraOptions: eo.entra})
	cfg.Fig.PollInterval = config.Dur(time.Second)
	cfg.KeyVaults[0].PollInterval = config.Dur(time.Second)
	cfg.InitTimeout = config.Dur(20 * time.Second)
	return &fixture{t: t, env: env, cfg: cfg, out: cfg.Outputs[0].Path, logs: &testutil.Buffer{}}
}

// options are the agent's options: JSON debug logs into f.logs, no
// environment, and short backoffs (the rules are DefaultSchedule's).
func (f *fixture) options() agent.Options {
	fast := agent.Schedule{Jitter: 0.1, Initial: 100 * time.Millisecond, Max: time.Second, Min: 10 * time.Millisecond}
	return agent.Options{
		Logger:   slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Getenv:   func(string) string { return "" },
		Schedule: &fast,
	}
}

// start runs an agent in sidecar mode and waits for its first file.
func (f *fixture) start(opts agent.Options) *agent.Agent {
	f.t.Helper()
	a, err := agent.New(context.Background(), f.cfg, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	f.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			f.t.Errorf("agent Run: %v", err)
		}
	})
	f.eventually("the first render", 20*time.Second, func() bool { return a.Health().Ready() })
	return a
}

// read returns the output file's bytes, failing the test if it is missing.
func (f *fixture) read() []byte {
	f.t.Helper()
	b, err := os.ReadFile(f.out)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// key reads a ":"-separated key from the output file ("" when absent), and
// fails the test if the file is not complete JSON.
func (f *fixture) key(key string) string {
	f.t.Helper()
	var v any
	if err := json.Unmarshal(f.read(), &v); err != nil {
		f.t.Fatalf("output is not complete JSON: %v", err)
	}
	return testutil.JSONKey(v, key)
}

// eventually polls cond every 10 ms until it holds, failing the test after
// limit: the agent acts on its own schedule, and its effects (a file, a
// request) are observed from outside.
func (f *fixture) eventually(what string, limit time.Duration, cond func() bool) {
	f.t.Helper()
	testutil.Eventually(f.t, what, limit, cond)
}

// requestLog records when a request counter moved, by sampling it every
// millisecond: one mechanism for both emulators, since Fig's takes its
// observer only when built (dev builds it) and only Key Vault's can be
// observed afterwards (keyvault.Server.AddObserver). A request is seen at most ~1 ms (plus
// scheduling delay) after it arrived, never before, which is the safe
// direction for "nothing was requested before Retry-After elapsed".
type requestLog struct {
	mu    sync.Mutex
	times []time.Time // one per counted request
	stop  chan struct{}
	done  chan struct{}
}

func watchRequests(t *testing.T, count func() int) *requestLog {
	r := &requestLog{stop: make(chan struct{}), done: make(chan struct{})}
	last := count()
	go func() {
		defer close(r.done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-r.stop:
				return
			case now := <-tick.C:
				n := count()
				r.mu.Lock()
				for ; last < n; last++ {
					r.times = append(r.times, now)
				}
				r.mu.Unlock()
			}
		}
	}()
	t.Cleanup(r.close)
	return r
}

func (r *requestLog) close() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
		<-r.done
	}
}

// seen returns the times recorded so far.
func (r *requestLog) seen() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.times...)
}
