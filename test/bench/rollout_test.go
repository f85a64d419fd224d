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

// rollout describes a fleet of agents sharing one vault.
type rollout struct {
	pods     int
	window   time.Duration // pods start uniformly within it
	interval time.Duration // Key Vault poll interval
	first    int           // requests of the first render
	poll     int           // requests of one idle poll
	horizon  time.Duration
}

// peak simulates the fleet with schedule s (nil: no jitter at all, every
// pod polls exactly every interval after it starts) and returns the
// largest number of requests in any 10 s window, over the whole horizon and
// in the steady state (from 5 intervals after the last start on).
func (r rollout) peak(s *agent.Schedule, rng *rand.Rand) (all, steady int) {
	var events []time.Duration // one per request
	add := func(at time.Duration, n int) {
		for range n {
			events = append(events, at)
		}
	}
	for range r.pods {
		t := time.Duration(rng.Int64N(int64(r.window) + 1))
		add(t, r.first)
		if s == nil {
			for t += r.interval; t < r.horizon; t += r.interval {
				add(t, r.poll)
			}
			continue
		}
		for t += s.Startup(r.interval, rng); t < r.horizon; t += s.AfterSuccess(r.interval, rng) {
			add(t, r.poll)
		}
	}
	slices.Sort(events)
	settled := r.window + 5*r.interval
	lo := 0
	for hi := range events {
		for events[hi]-events[lo] >= 10*time.Second {
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
// app (first render 1 list + 2 GETs, then 1 list per poll) and of an app
// with 10 explicitly mapped secrets in a shared vault (10 GETs each time),
// started within 30 s and all at once, with the default 60 s interval.
var rollouts = []struct {
	name string
	r    rollout
}{
	{"example-app/start-within-30s", rollout{1000, 30 * time.Second, time.Minute, 3, 1, 30 * time.Minute}},
	{"example-app/start-at-once", rollout{1000, 0, time.Minute, 3, 1, 30 * time.Minute}},
	{"10-GETs-app/start-within-30s", rollout{1000, 30 * time.Second, time.Minute, 10, 10, 30 * time.Minute}},
	{"10-GETs-app/start-at-once", rollout{1000, 0, time.Minute, 10, 10, 30 * time.Minute}},
}

// BenchmarkRollout reports peak Key Vault requests per 10 s for a rollout of
// 1,000 agents, with agent.DefaultSchedule (start-up delay uniform over one
// interval, ±10% jitter) and without any jitter, over 30 minutes of
// simulated time. It simulates the schedule; it does not run 1,000 agents.
func BenchmarkRollout(b *testing.B) {
	for _, c := range rollouts {
		b.Run(c.name, func(b *testing.B) {
			var with, without, withSteady, withoutSteady int
			seed := uint64(0)
			for b.Loop() {
				seed++
				with, withSteady = c.r.peak(&agent.DefaultSchedule, rand.New(rand.NewPCG(seed, 1)))
				without, withoutSteady = c.r.peak(nil, rand.New(rand.NewPCG(seed, 1)))
			}
			b.ReportMetric(float64(with), "peak-req/10s-jittered")
			b.ReportMetric(float64(without), "peak-req/10s-no-jitter")
			b.ReportMetric(float64(withSteady), "steady-peak-req/10s-jittered")
			b.ReportMetric(float64(withoutSteady), "steady-peak-req/10s-no-jitter")
			b.ReportMetric(float64(KeyVaultLimit), "limit-req/10s")
		})
	}
}

// TestRolloutModel checks the simulation on cases with known answers, so the
// benchmark's figures rest on tested arithmetic.
func TestRolloutModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	atOnce := rollout{pods: 100, window: 0, interval: time.Minute, first: 2, poll: 1, horizon: 10 * time.Minute}
	if got, _ := atOnce.peak(nil, rng); got != 200 {
		t.Errorf("100 pods at once without jitter: peak %d, want 200 (the first renders)", got)
	}
	noFirst := atOnce
	noFirst.first = 0
	if _, got := noFirst.peak(nil, rng); got != 100 {
		t.Errorf("100 pods polling in step: peak %d, want 100", got)
	}
	// With start-up jitter over 60 s, about a sixth of the pods poll in
	// any 10 s; allow generous noise.
	if _, got := noFirst.peak(&agent.DefaultSchedule, rng); got < 17 || got > 45 {
		t.Errorf("100 jittered pods: peak %d, want about 100×10/60", got)
	}
}
