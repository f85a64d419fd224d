package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
)

// KeyVaultLimit is Key Vault's service limit for secret GETs/lists: 4,000
// transactions per 10 s per vault (all clients together).
const KeyVaultLimit = 4000

// cost is the Key Vault requests of one pod: at its first render and at
// each poll after it.
type cost struct{ first, poll int }

// rollout describes a fleet of agents sharing one vault.
type rollout struct {
	pods     int
	window   time.Duration // pods start uniformly within it
	interval time.Duration // Key Vault poll interval
	product  cost          // the agent's budget: min(⌈vault/25⌉, mapped) per poll
	naive    cost          // one GET per secret every time, as the CSI driver does
	pages    int           // the relay's list pages per pass: ⌈secrets in the vault/25⌉
	horizon  time.Duration
}

// starts draws every pod's start time (its first render, which is never
// delayed). Every schedule of one run sees the same fleet, so their peaks
// differ only by the schedule.
func (r rollout) starts(rng *rand.Rand) []time.Duration {
	at := make([]time.Duration, r.pods)
	for i := range at {
		at[i] = time.Duration(rng.Int64N(int64(r.window) + 1))
	}
	return at
}

// schedule is how a pod spaces its polls: the wait from its first render to
// its first poll, and between polls. Nil funcs mean exactly one interval.
type schedule struct {
	startup, next func(interval time.Duration, r *rand.Rand) time.Duration
}

// noJitter polls exactly every interval after the start.
var noJitter = schedule{}

// product is agent.DefaultSchedule, as the agent uses it.
var product = schedule{startup: agent.DefaultSchedule.Startup, next: agent.DefaultSchedule.AfterSuccess}

// earlyStartup is the start-up rule the agent had before: the first poll
// uniform in [0, interval] after the render, then as the product. Kept so
// the document shows what the change bought.
var earlyStartup = schedule{
	startup: func(interval time.Duration, r *rand.Rand) time.Duration {
		return time.Duration(r.Int64N(int64(interval) + 1))
	},
	next: agent.DefaultSchedule.AfterSuccess,
}

// relayed is the agent subscribed to a relay that lists its vault for the
// cluster: the relay's vaultWatched reaches it right after its first
// render, which draws its first safety poll uniformly in [½, 1½]
// agent.RelaySafetyFactor intervals (agent.Schedule.AfterRelayWord); from then on
// it polls the vault itself every agent.RelaySafetyFactor intervals
// (±10%), as a safety net.
var relayed = schedule{startup: firstSafetyPoll, next: safetyPoll}

func firstSafetyPoll(interval time.Duration, r *rand.Rand) time.Duration {
	return agent.DefaultSchedule.AfterRelayWord(true, interval, r)
}

func safetyPoll(interval time.Duration, r *rand.Rand) time.Duration {
	return agent.DefaultSchedule.AfterSuccess(agent.RelaySafetyFactor*interval, r)
}

func (s schedule) wait(f func(time.Duration, *rand.Rand) time.Duration, interval time.Duration, r *rand.Rand) time.Duration {
	if f == nil {
		return interval
	}
	return f(interval, r)
}

// peak simulates the fleet started at starts, each pod costing c and
// polling on s, and returns the largest number of requests in any 10 s
// window, over the whole horizon and in the steady state (windows starting
// 5 intervals after the last possible start or later).
func (r rollout) peak(starts []time.Duration, c cost, s schedule, rng *rand.Rand) (all, steady int) {
	return peaks(r.requests(starts, c, s, rng), 10*time.Second, r.window+5*r.interval)
}

// requests simulates the fleet and returns the time of every request.
func (r rollout) requests(starts []time.Duration, c cost, s schedule, rng *rand.Rand) []time.Duration {
	var events []time.Duration // one per request
	add := func(at time.Duration, n int) {
		for range n {
			events = append(events, at)
		}
	}
	for _, t := range starts {
		add(t, c.first)
		for t += s.wait(s.startup, r.interval, rng); t < r.horizon; t += s.wait(s.next, r.interval, rng) {
			add(t, c.poll)
		}
	}
	return events
}

// relayRequests simulates the fleet subscribed to a relay: the pods'
// requests on the relayed schedule plus the relay's own list passes of the
// vault, pages each (⌈secrets/25⌉): one when the first pod subscribes (the
// relay lists a newly subscribed vault at once), then one every interval
// from the relay's start at 0, as kvwatch.Watcher.Run does.
func (r rollout) relayRequests(starts []time.Duration, c cost, pages int, rng *rand.Rand) []time.Duration {
	events := r.requests(starts, c, relayed, rng)
	first := slices.Min(starts)
	for range pages {
		events = append(events, first)
	}
	for t := r.interval; t < r.horizon; t += r.interval {
		for range pages {
			if t > first {
				events = append(events, t)
			}
		}
	}
	return events
}

// perWindow returns the mean number of events per window among those at
// settled or later, until horizon: the idle rate of the steady state.
func perWindow(events []time.Duration, window, settled, horizon time.Duration) float64 {
	n := 0
	for _, e := range events {
		if e >= settled && e < horizon {
			n++
		}
	}
	return float64(n) * float64(window) / float64(horizon-settled)
}

// histogram10s counts events per 10 s from 0 to horizon: a figure's series
// (x in minutes).
func histogram10s(name string, events []time.Duration, horizon time.Duration) series {
	bins := make([]float64, int(horizon/(10*time.Second)))
	for _, e := range events {
		if i := int(e / (10 * time.Second)); i >= 0 && i < len(bins) {
			bins[i]++
		}
	}
	s := series{name: name}
	for i, n := range bins {
		s.xs = append(s.xs, float64(i)/6) // the bin's start, in minutes
		s.ys = append(s.ys, n)
	}
	return s
}

// peaks returns the largest number of events (request times, in any order)
// in any span of length window, over all of them and over the spans that
// start at settled or later (the steady state). The simulation and the
// measured rollout count with it alike.
func peaks(events []time.Duration, window, settled time.Duration) (all, steady int) {
	events = slices.Clone(events)
	slices.Sort(events)
	lo := 0
	for hi := range events {
		for events[hi]-events[lo] >= window {
			lo++
		}
		all = max(all, hi-lo+1)
		if events[lo] >= settled {
			steady = max(steady, hi-lo+1)
		}
	}
	return all, steady
}

// rollouts are the fleets of docs/benchmarks.md: 1,000 pods of the example
// app (its vault holds the 2 secrets it uses: the agent's first render is 1
// list + 2 GETs, then 1 list per poll; the naive strategy GETs both each
// time) and of an app with 10 explicitly mapped secrets in a shared vault
// (10 GETs each time, either way), started within 30 s and all at once,
// with the default 60 s interval.
var rollouts = []struct {
	name string
	r    rollout
}{
	{"example-app/start-within-30s", rollout{1000, 30 * time.Second, time.Minute, cost{3, 1}, cost{2, 2}, 1, 30 * time.Minute}},
	{"example-app/start-at-once", rollout{1000, 0, time.Minute, cost{3, 1}, cost{2, 2}, 1, 30 * time.Minute}},
	{"10-GETs-app/start-within-30s", rollout{1000, 30 * time.Second, time.Minute, cost{10, 10}, cost{10, 10}, 40, 30 * time.Minute}},
	{"10-GETs-app/start-at-once", rollout{1000, 0, time.Minute, cost{10, 10}, cost{10, 10}, 40, 30 * time.Minute}},
}

// BenchmarkRollout reports peak Key Vault requests per 10 s for a rollout of
// 1,000 agents over 30 minutes of simulated time: the product (its request
// budget and agent.DefaultSchedule: first poll in [interval/2,
// 3·interval/2] after the first render, then the interval ±10%), the same
// budget without any jitter, the budget with the earlier start-up rule
// (first poll in [0, interval]), and the naive strategy (no jitter, one GET
// per secret). It simulates the schedule; it does not run 1,000 agents.
// Every variant sees the same start times; the seed is fixed, so -count
// runs agree.
//
// The relay variant is the product's agent subscribed to a relay that
// lists the vault for the cluster (relayRequests); its idle figure is the
// point of issue 14, and the example app's rollout under both is drawn
// as docs/img/rollout-keyvault.svg.
func BenchmarkRollout(b *testing.B) {
	for _, c := range rollouts {
		b.Run(c.name, func(b *testing.B) {
			sim := func(cost cost, s schedule) func([]time.Duration, *rand.Rand) []time.Duration {
				return func(starts []time.Duration, rng *rand.Rand) []time.Duration {
					return c.r.requests(starts, cost, s, rng)
				}
			}
			variants := []struct {
				unit string
				run  func([]time.Duration, *rand.Rand) []time.Duration
			}{
				{"jittered", sim(c.r.product, product)},
				{"no-jitter", sim(c.r.product, noJitter)},
				{"early-startup", sim(c.r.product, earlyStartup)},
				{"naive", sim(c.r.naive, noJitter)},
				{"relay", func(starts []time.Duration, rng *rand.Rand) []time.Duration {
					return c.r.relayRequests(starts, c.r.product, c.r.pages, rng)
				}},
			}
			settled := c.r.window + 5*c.r.interval
			events := make([][]time.Duration, len(variants))
			for b.Loop() {
				starts := c.r.starts(rand.New(rand.NewPCG(1, 1)))
				for i, v := range variants {
					events[i] = v.run(starts, rand.New(rand.NewPCG(1, 2)))
				}
			}
			for i, v := range variants {
				all, steady := peaks(events[i], 10*time.Second, settled)
				b.ReportMetric(float64(all), "peak-req/10s-"+v.unit)
				b.ReportMetric(float64(steady), "steady-peak-req/10s-"+v.unit)
				b.ReportMetric(perWindow(events[i], 10*time.Second, settled, c.r.horizon), "idle-req/10s-"+v.unit)
			}
			b.ReportMetric(float64(KeyVaultLimit), "limit-req/10s")
			if c.name == "example-app/start-within-30s" {
				saveFigure(b, "rollout-keyvault", chart{
					title:  "Key Vault requests per 10 s: 1,000 pods, one vault (simulation)",
					xLabel: "minutes since the rollout began (pods start within 30 s; 60 s poll interval)",
					yLabel: "Key Vault requests per 10 s",
					series: []series{histogram10s("per-pod polling (the agent alone)", events[0], c.r.horizon),
						histogram10s("relay (one list per interval + 10× safety polls)", events[4], c.r.horizon)},
				}.svg())
			}
		})
	}
}

// TestRolloutModel checks the simulation on cases with known answers, so the
// benchmark's figures rest on tested arithmetic.
func TestRolloutModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	atOnce := rollout{pods: 100, window: 0, interval: time.Minute, product: cost{2, 1}, horizon: 10 * time.Minute}
	starts := atOnce.starts(rng)
	if got, _ := atOnce.peak(starts, atOnce.product, noJitter, rng); got != 200 {
		t.Errorf("100 pods at once without jitter: peak %d, want 200 (the first renders)", got)
	}
	// The first poll comes at least half an interval after the render, so
	// it never shares a 10 s window with a fleet's simultaneous renders;
	// the earlier rule, from 0 on, did.
	if got, _ := atOnce.peak(starts, atOnce.product, product, rng); got != 200 {
		t.Errorf("100 pods at once with the product's start-up: peak %d, want 200 (the first renders alone)", got)
	}
	if got, _ := atOnce.peak(starts, atOnce.product, earlyStartup, rng); got <= 200 {
		t.Errorf("100 pods at once with first polls from 0 on: peak %d, want above 200", got)
	}
	noFirst := cost{0, 1}
	if _, got := atOnce.peak(starts, noFirst, noJitter, rng); got != 100 {
		t.Errorf("100 pods polling in step: peak %d, want 100", got)
	}
	// With start-up jitter over 60 s, about a sixth of the pods poll in
	// any 10 s; allow generous noise.
	if _, got := atOnce.peak(starts, noFirst, product, rng); got < 17 || got > 45 {
		t.Errorf("100 jittered pods: peak %d, want about 100×10/60", got)
	}
	// With a relay the pods poll every 10 intervals (±10%) and the relay
	// lists the vault when the first pod subscribes and then every
	// interval: 100 pods on 1 page for 30 minutes poll 2 or 3 times each,
	// and the relay lists 30 times (at 0, then at 1…29 minutes).
	relayCase := rollout{pods: 100, interval: time.Minute, horizon: 30 * time.Minute}
	pods := relayCase.requests(starts, noFirst, relayed, rng)
	if len(pods) < 200 || len(pods) > 300 {
		t.Errorf("100 relayed pods over 30 intervals: %d polls, want 200 to 300", len(pods))
	}
	lists := relayCase.relayRequests(starts, cost{}, 1, rng)
	if len(lists) != 30 {
		t.Errorf("the relay alone: %d lists in 30 minutes, want 30", len(lists))
	}
	if got := perWindow(lists, time.Minute, 0, 30*time.Minute); got != 1 {
		t.Errorf("per-window mean of one list a minute: %v, want 1", got)
	}
	// The starts are the fleet's, whatever the schedule.
	within := rollout{pods: 1000, window: 30 * time.Second}
	for _, at := range within.starts(rng) {
		if at < 0 || at > within.window {
			t.Fatalf("start %s outside [0, %s]", at, within.window)
		}
	}
}
