package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/injector/output"
)

// fleet is a rollout of real agents (agent.New + Run, sidecar mode, in this
// process) against one dev environment: every agent reads its own copy of
// the agent.yaml dev wrote (so they share the token file, the Fig secret
// file and the CA, as pods of one Deployment share their configuration) and
// writes its own output file.
type fleet struct {
	env      *dev.Env
	agents   int
	spread   time.Duration // agents start uniformly within [0, spread]
	kvEvery  time.Duration // Key Vault poll interval
	figEvery time.Duration // Fig poll interval
	schedule agent.Schedule
}

// fleetResult is what one rollout showed, times measured from the moment
// the rollout began (the earliest possible start).
type fleetResult struct {
	// requests holds the arrival at the vault emulator of every Key Vault
	// request, the 401 challenge round trips included.
	requests []time.Duration
	// challenges is how many of those were answered 401 (each agent's
	// first request: the SDK learns the tenant and resource from it).
	challenges int
	// firstFile is, per agent, its scheduled start → its first file
	// written: how far behind the fleet's rendering fell.
	firstFile []time.Duration
	// lateStart is the latest an agent began after its scheduled start.
	lateStart time.Duration
	// rendered is when the last agent's first file was written.
	rendered time.Duration
}

// starts draws the agents' start times (seeded: every variant sees the same
// fleet, as in the simulation).
func (f fleet) starts() []time.Duration {
	r := rollout{pods: f.agents, window: f.spread}
	return r.starts(rand.New(rand.NewPCG(1, 1)))
}

// run starts the agents at starts and keeps them running until horizon
// after the rollout began, or, when horizon is zero, until the last first
// file is written; then it stops them and waits until every one returned.
// Requests arriving after that point are not counted.
func (f fleet) run(tb testing.TB, starts []time.Duration, horizon time.Duration) fleetResult {
	tb.Helper()
	vault := f.env.Vaults[f.env.VaultNames[0]]
	dir := tb.TempDir()
	cfgs := make([]*config.Config, f.agents)
	for i := range cfgs {
		c := agentConfig(tb, f.env, dir, i)
		c.Fig.PollInterval = config.Dur(f.figEvery)
		for k := range c.KeyVaults {
			c.KeyVaults[k].PollInterval = config.Dur(f.kvEvery)
		}
		cfgs[i] = c
	}

	// The vault's own counters go up when a request arrives, the observer
	// is called when it was answered: at the end the two must agree.
	counted := func() int {
		return vault.Requests(keyvault.RouteList) + vault.Requests(keyvault.RouteGet) +
			vault.Requests(keyvault.RouteVersions) + vault.Challenges()
	}
	var (
		mu      sync.Mutex
		arrived []time.Time
		denied  int
	)
	before := counted()
	vault.AddObserver(func(ev keyvault.Event) {
		mu.Lock()
		defer mu.Unlock()
		arrived = append(arrived, ev.Arrived)
		if ev.Status == http.StatusUnauthorized {
			denied++
		}
	})
	observed := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(arrived)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	firstFile := make([]atomic.Int64, f.agents) // nanoseconds after t0; 0: not yet
	lag := make([]time.Duration, f.agents)
	errs := make([]error, f.agents)
	pending := atomic.Int64{}
	pending.Store(int64(f.agents))
	allRendered := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(f.agents)
	t0 := time.Now()
	timers := make([]*time.Timer, f.agents)
	for i, at := range starts {
		timers[i] = time.AfterFunc(at, func() {
			defer wg.Done()
			lag[i] = time.Since(t0) - at
			write := func(path string, data []byte, mode fs.FileMode) (bool, error) {
				changed, err := output.Write(path, data, mode)
				if err == nil && firstFile[i].CompareAndSwap(0, int64(time.Since(t0))) && pending.Add(-1) == 0 {
					close(allRendered)
				}
				return changed, err
			}
			s := f.schedule
			a, err := agent.New(ctx, cfgs[i], agent.Options{Getenv: func(string) string { return "" }, Write: write,
				Schedule: &s, Rand: rand.New(rand.NewPCG(uint64(i), 2))})
			if err == nil {
				err = a.Run(ctx)
			}
			if errors.Is(err, syscall.EMFILE) {
				err = fmt.Errorf("%w (every agent's file watcher holds an inotify instance: raise fs.inotify.max_user_instances or run fewer)", err)
			}
			if err != nil && ctx.Err() == nil {
				errs[i] = fmt.Errorf("agent %d: %w", i, err)
				cancel() // the fleet's figures would be wrong: stop now
			}
		})
	}
	if horizon == 0 {
		select {
		case <-allRendered:
		case <-ctx.Done():
		case <-time.After(f.spread + time.Minute):
			tb.Errorf("first files: %d of %d agents still without one a minute after the last start", pending.Load(), f.agents)
		}
	} else {
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(t0.Add(horizon))):
		}
	}
	cancel()
	for _, t := range timers {
		if t.Stop() {
			wg.Done() // never started
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
	waitFor(tb, "the observer to see every request the vault counted", 10*time.Second, func() bool { return observed() == counted()-before })

	mu.Lock()
	defer mu.Unlock()
	res := fleetResult{challenges: denied, lateStart: slices.Max(lag)}
	for _, at := range arrived {
		if d := at.Sub(t0); horizon == 0 || d < horizon {
			res.requests = append(res.requests, d)
		}
	}
	for i := range firstFile {
		d := time.Duration(firstFile[i].Load())
		if d == 0 {
			tb.Fatalf("agent %d never wrote its first file", i)
		}
		res.firstFile = append(res.firstFile, d-starts[i])
		res.rendered = max(res.rendered, d)
	}
	return res
}

// quantile returns the q-quantile (0 ≤ q ≤ 1) of ds, nearest rank.
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// agentConfig is the i-th agent's copy of the agent.yaml dev wrote for env:
// its own output file in dir, no status listener.
func agentConfig(tb testing.TB, env *dev.Env, dir string, i int) *config.Config {
	tb.Helper()
	c, err := config.Load(env.AgentConfigPath, func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	c.Listen = ""
	c.Outputs = []config.Output{{Path: filepath.Join(dir, fmt.Sprintf("agent-%04d.json", i)), Format: "json", Mode: "0440"}}
	return c
}
