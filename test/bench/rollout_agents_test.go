package bench

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/devrelay"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
)

// rolloutScale is how much faster than real time BenchmarkRolloutAgents
// runs: every duration (start spread, poll intervals, counting window) is
// divided by it, so the requests in one scaled window are the requests of
// the real 10 s window and compare with Key Vault's 4,000 as they are.
const rolloutScale = 10

// rolloutAgents is the fleet size of BenchmarkRolloutAgents unless
// FIG_INJECTOR_ROLLOUT_AGENTS says otherwise. Each in-process agent holds
// one inotify instance (its file watcher), and Linux allows 128 per user by
// default (fs.inotify.max_user_instances), shared with everything else the
// user runs: 100 leaves room for that. With the limit raised, larger fleets
// run; the 2-core machine's CPU is then the bound (see docs/benchmarks.md).
const rolloutAgents = 100

// BenchmarkRolloutAgents is the rollout of docs/benchmarks.md measured with
// real agents instead of simulated: a fleet of the example app (agent.New +
// Run in sidecar mode, in this process, each with its own output file)
// starts against one set of emulators, and the vault emulator records the
// arrival of every Key Vault request, challenges included. Time runs
// rolloutScale times faster: starts within 3 s, Key Vault polled every 6 s
// and Fig every 3 s, requests counted per 1 s window; the run lasts the
// rollout plus 10 intervals, the steady state being the windows from 5
// intervals after the last start on, as in the simulation.
//
// Three variants with the same start times: the product (agent.DefaultSchedule)
// and no jitter (first poll exactly one interval after the first render,
// then exactly every interval), each agent polling on its own, and the
// product subscribed to the relay (in-process, injector/dev/devrelay),
// which lists the vault every (scaled) interval for the fleet while the
// agents' own polls stretch to agent.RelaySafetyFactor intervals; its
// requests are counted with the agents'. Beside the measured peaks it reports the
// simulation's for the same fleet, starts and scaled times, so the two can be
// compared; the simulation is what speaks for 1,000 pods when fewer run here.
func BenchmarkRolloutAgents(b *testing.B) {
	n := rolloutAgents
	if s := os.Getenv("FIG_INJECTOR_ROLLOUT_AGENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("FIG_INJECTOR_ROLLOUT_AGENTS=%q: want a positive number of agents", s)
		}
	}
	const (
		spread   = 30 * time.Second / rolloutScale
		kvEvery  = time.Minute / rolloutScale
		figEvery = 30 * time.Second / rolloutScale
		window   = 10 * time.Second / rolloutScale
		settled  = spread + 5*kvEvery
		horizon  = spread + 10*kvEvery
	)
	fixed := agent.DefaultSchedule
	fixed.Jitter, fixed.FixedStartup = 0, true
	variants := []struct {
		unit  string
		sched agent.Schedule
		model schedule
		relay bool
	}{
		{"jittered", agent.DefaultSchedule, product, false},
		{"no-jitter", fixed, noJitter, false},
		{"relay", agent.DefaultSchedule, relayed, true},
	}
	type figures struct {
		all, steady, total, modelAll, modelSteady int
		idle, modelIdle                           float64
	}
	got := make([]figures, len(variants))
	var firstFile, lateStart time.Duration
	for b.Loop() {
		for i, v := range variants {
			var (
				env   *dev.Env
				relay *devrelay.Relay
			)
			if v.relay {
				env, relay = startRelayEnv(b, dev.ExampleSeed(), kvEvery)
			} else {
				env, _ = startEnv(b, dev.ExampleSeed())
			}
			// The seed was written just now: secrets fetched less than 2 s
			// after their updated stamp are fetched again at the next poll
			// (its one-second resolution), which a real rollout against a
			// vault of older secrets does not pay. Let them age first.
			<-time.After(2100 * time.Millisecond)
			f := fleet{env: env, agents: n, spread: spread, kvEvery: kvEvery, figEvery: figEvery, schedule: v.sched}
			starts := f.starts()
			res := f.run(b, starts, horizon)
			if relay != nil {
				_ = relay.Close()
			}
			_ = env.Close()
			all, steady := peaks(res.requests, window, settled)
			// The model with the agent's measured costs: a challenge, a
			// list and 2 GETs at the first render, then one list per poll.
			r := rollout{pods: n, window: spread, interval: kvEvery, horizon: horizon}
			model := r.requests(starts, cost{4, 1}, v.model, rand.New(rand.NewPCG(1, 2)))
			if v.relay { // and the relay's list passes, its one challenge first
				model = append(r.relayRequests(starts, cost{4, 1}, 1, rand.New(rand.NewPCG(1, 2))), slices.Min(starts))
			}
			mAll, mSteady := peaks(model, window, settled)
			got[i] = figures{all, steady, len(res.requests), mAll, mSteady,
				perWindow(res.requests, window, settled, horizon), perWindow(model, window, settled, horizon)}
			firstFile = max(firstFile, quantile(res.firstFile, 0.99))
			lateStart = max(lateStart, res.lateStart)
		}
	}
	for i, v := range variants {
		b.ReportMetric(float64(got[i].all), "peak-req/window-"+v.unit)
		b.ReportMetric(float64(got[i].steady), "steady-peak-req/window-"+v.unit)
		b.ReportMetric(float64(got[i].total), "requests-"+v.unit)
		b.ReportMetric(float64(got[i].modelAll), "model-peak-req/window-"+v.unit)
		b.ReportMetric(float64(got[i].modelSteady), "model-steady-peak-req/window-"+v.unit)
		b.ReportMetric(got[i].idle, "idle-req/window-"+v.unit)
		b.ReportMetric(got[i].modelIdle, "model-idle-req/window-"+v.unit)
	}
	b.ReportMetric(float64(n), "agents")
	b.ReportMetric(rolloutScale, "time-scale")
	b.ReportMetric(float64(firstFile)/1e6, "first-file-p99-ms")
	b.ReportMetric(float64(lateStart)/1e6, "start-late-max-ms")
}

// TestFleetCountsRequests proves the rollout harness counts every Key Vault
// request at the emulator: 20 agents of the example app started within
// 0.3 s (a hundredth of the benchmark's 30 s) cost exactly 20 times what one
// agent's first render costs, measured on its own with the vault's counters,
// and every request arrived before the last first file. The Key Vault
// interval is long (10 s), so no poll mixes in.
func TestFleetCountsRequests(t *testing.T) {
	const agents = 20
	env, cfg := startEnv(t, dev.ExampleSeed())
	vault := env.Vaults[env.VaultNames[0]]
	counted := func() int {
		return vault.Requests(keyvault.RouteList) + vault.Requests(keyvault.RouteGet) +
			vault.Requests(keyvault.RouteVersions) + vault.Challenges()
	}
	cfg.Outputs[0].Path = t.TempDir() + "/one.json"
	one, err := agent.New(context.Background(), cfg, agent.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if err := one.RenderOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	perRender, challenges := counted(), vault.Challenges()
	t.Logf("one first render: %d Key Vault requests, %d of them challenges", perRender, challenges)

	f := fleet{env: env, agents: agents, spread: 300 * time.Millisecond, kvEvery: 10 * time.Second,
		figEvery: 300 * time.Millisecond, schedule: agent.DefaultSchedule}
	res := f.run(t, f.starts(), 0)
	if got, want := len(res.requests), agents*perRender; got != want {
		t.Errorf("counted %d Key Vault requests for %d first renders, want %d × %d = %d", got, agents, agents, perRender, want)
	}
	if got, want := res.challenges, agents*challenges; got != want {
		t.Errorf("counted %d challenges, want %d", got, want)
	}
	for _, at := range res.requests {
		if at < 0 || at > res.rendered {
			t.Errorf("a request arrived at %s, outside the rollout [0, %s]", at, res.rendered)
		}
	}
	if all, _ := peaks(res.requests, time.Hour, 0); all != len(res.requests) {
		t.Errorf("peak over an hour-long window %d, want every request (%d)", all, len(res.requests))
	}
}
