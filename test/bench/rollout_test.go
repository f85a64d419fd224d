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
	{"example-app/start-within-30s", rollout{1000, 30 * time.Second, time.Minute, cost{3, 1}, cost{2, 2}, 30 * time.Minute}},
	{"example-app/start-at-once", rollout{1000, 0, time.Minute, cost{3, 1}, cost{2, 2}, 30 * time.Minute}},
	{"10-GETs-app/start-within-30s", rollout{1000, 30 * time.Second, time.Minute, cost{10, 10}, cost{10, 10}, 30 * time.Minute}},
	{"10-GETs-app/start-at-once", rollout{1000, 0, time.Minute, cost{10, 10}, cost{10, 10}, 30 * time.Minute}},
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
func BenchmarkRollout(b *testing.B) {
	for _, c := range rollouts {
		b.Run(c.name, func(b *testing.B) {
			variants := []struct {
				unit string
				cost cost
				s    schedule
			}{
				{"jittered", c.r.product, product},
				{"no-jitter", c.r.product, noJitter},
				{"early-startup", c.r.product, earlyStartup},
				{"naive", c.r.naive, noJitter},
			}
			all := make([]int, len(variants))
			steady := make([]int, len(variants))
			for b.Loop() {
				starts := c.r.starts(rand.New(rand.NewPCG(1, 1)))
				for i, v := range variants {
					all[i], steady[i] = c.r.peak(starts, v.cost, v.s, rand.New(rand.NewPCG(1, 2)))
				}
			}
			for i, v := range variants {
				b.ReportMetric(float64(all[i]), "peak-req/10s-"+v.unit)
				b.ReportMetric(float64(steady[i]), "steady-peak-req/10s-"+v.unit)
			}
			b.ReportMetric(float64(KeyVaultLimit), "limit-req/10s")
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
	// The starts are the fleet's, whatever the schedule.
	within := rollout{pods: 1000, window: 30 * time.Second}
	for _, at := range within.starts(rng) {
		if at < 0 || at > within.window {
			t.Fatalf("start %s outside [0, %s]", at, within.window)
		}
	}
}
