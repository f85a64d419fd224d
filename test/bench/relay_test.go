package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/devrelay"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/relay/subscribe"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/injector/transport"
)

// relayScale is how much faster than real time the relay benchmarks run
// their polling (as BenchmarkRolloutAgents does): Fig polled every 3 s
// instead of 30 s, Key Vault every 6 s instead of 60 s. Poll-bound
// latencies are reported multiplied back by it.
const relayScale = 10

// startRelayEnv starts the emulators with seed and the relay in-process
// (injector/dev/devrelay: the relay's own hook handler, hub, server and
// list pass), the Fig emulator posting its web hooks to the relay and
// agent.yaml subscribing to it. The relay lists the seed's vaults every
// vaultEvery.
func startRelayEnv(tb testing.TB, seed []byte, vaultEvery time.Duration) (*dev.Env, *devrelay.Relay) {
	tb.Helper()
	r, err := devrelay.Listen(devrelay.Options{Dir: tb.TempDir(), VaultInterval: vaultEvery})
	if err != nil {
		tb.Fatal(err)
	}
	env, _ := startEnv(tb, seed, func(o *dev.Options) {
		o.FigOptions.WebHooks = []figapi.WebHookClient{r.WebHook()}
		o.AgentRelay = r.AgentConfig()
	})
	if err := r.Serve(env); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return env, r
}

// agentFleet is n real agents (agent.New + Run, sidecar mode, in this
// process) on the agent.yaml of env, each with its own output file, that
// record when each wrote what.
type agentFleet struct {
	mu     sync.Mutex
	writes [][]write // per agent
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   []error
}

type write struct {
	at   time.Time
	data string
}

// startFleet starts n agents, one every spread/n (so their poll phases
// spread over spread, as pods started at different times do); tune adjusts
// each one's configuration. It returns once every agent wrote its first
// file.
func startFleet(tb testing.TB, env *dev.Env, n int, spread time.Duration, tune func(*config.Config)) *agentFleet {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &agentFleet{writes: make([][]write, n), cancel: cancel, errs: make([]error, n)}
	dir := tb.TempDir()
	for i := range n {
		cfg := agentConfig(tb, env, dir, i)
		tune(cfg)
		w := func(path string, data []byte, mode fs.FileMode) (bool, error) {
			changed, err := output.Write(path, data, mode)
			if err == nil {
				f.mu.Lock()
				f.writes[i] = append(f.writes[i], write{time.Now(), string(data)})
				f.mu.Unlock()
			}
			return changed, err
		}
		a, err := agent.New(ctx, cfg, agent.Options{Getenv: func(string) string { return "" }, Write: w})
		if err != nil {
			tb.Fatal(err)
		}
		f.wg.Go(func() {
			if err := a.Run(ctx); err != nil && ctx.Err() == nil {
				f.errs[i] = err
			}
		})
		time.Sleep(spread / time.Duration(n)) // the start schedule, not synchronisation
	}
	tb.Cleanup(f.stop)
	waitFor(tb, "every agent's first file", time.Minute, func() bool { return len(f.arrivals("", time.Time{})) == n })
	return f
}

// stop ends every agent and waits for it.
func (f *agentFleet) stop() {
	f.cancel()
	f.wg.Wait()
}

// arrivals returns, for every agent that has written a file holding s, the
// time from since to its first such write after since.
func (f *agentFleet) arrivals(s string, since time.Time) []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Duration
	for _, ws := range f.writes {
		for _, w := range ws {
			if !w.at.Before(since) && strings.Contains(w.data, s) {
				out = append(out, w.at.Sub(since))
				break
			}
		}
	}
	return out
}

// await waits until every one of n agents wrote s after since and returns
// the times.
func (f *agentFleet) await(tb testing.TB, n int, s string, since time.Time, limit time.Duration) []time.Duration {
	tb.Helper()
	waitFor(tb, fmt.Sprintf("%q in every agent's file", s), limit, func() bool { return len(f.arrivals(s, since)) == n })
	if err := errors.Join(f.errs...); err != nil {
		tb.Fatal(err)
	}
	return f.arrivals(s, since)
}

// awaitWatched subscribes one light observer to relay for vault and
// returns once the relay says it watches the vault: the fleet's agents,
// subscribed before, were told in the same hub update.
func awaitWatched(tb testing.TB, env *dev.Env, relay *devrelay.Relay, vault string) {
	tb.Helper()
	hc, err := transport.New(transport.Options{CAFile: env.CAFile, Timeout: -1})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watched := make(chan struct{})
	var once sync.Once
	go func() {
		_ = subscribe.Run(ctx, subscribe.Options{URL: relay.URL, TokenFile: relay.TokenFile, HTTPClient: hc,
			Subscription: wire.Subscription{Vaults: []string{wire.VaultKey(vault)}},
			OnEvent: func(ev wire.Event) {
				if ev.Type == wire.TypeVaultWatched {
					once.Do(func() { close(watched) })
				}
			}})
	}()
	select {
	case <-watched:
	case <-time.After(time.Minute):
		tb.Fatal("the relay did not watch the vault within a minute")
	}
}

// quantileMs returns the q-quantile of ds in milliseconds.
func quantileMs(ds []time.Duration, q float64) float64 {
	return float64(quantile(ds, q)) / 1e6
}

// seconds converts durations to seconds, times scale.
func seconds(ds []time.Duration, scale float64) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds() * scale
	}
	return out
}

// propagationAgents and propagationChanges size BenchmarkPropagation: every
// agent sees every change, so each variant yields their product of samples.
const (
	propagationAgents  = 20
	propagationChanges = 10
)

// BenchmarkPropagation is issue 14's first number: a Fig change → the new
// value in every affected pod's file, measured from the admin's change (the
// emulator's SetValue) to each agent's write, for propagationAgents real
// agents of one client and propagationChanges changes, one after the other.
//
//   - relay: Fig's web hook → the relay → the agents' wake-up → their
//     fetch → the file. The agents poll Fig at the default 30 s, so the
//     poll never brings the change first.
//   - polling: the same agents without a relay, polling Fig's status at
//     the default 30 s interval with its ±10% jitter, run relayScale times
//     faster (3 s) and the latencies multiplied back (the fetch's few
//     milliseconds are multiplied too: they overstate by under 1%).
//
// It reports p50, p99 and max of each, and draws both distributions
// (docs/img/propagation-latency.svg). Run it with -benchtime=1x.
func BenchmarkPropagation(b *testing.B) {
	const figEvery = 30 * time.Second
	var relayed, polled []time.Duration
	for b.Loop() {
		relayed = append(relayed, propagate(b, true, figEvery)...)
		polled = append(polled, propagate(b, false, figEvery/relayScale)...)
	}
	for i := range polled {
		polled[i] *= relayScale
	}
	for _, v := range []struct {
		name string
		ds   []time.Duration
	}{{"relay", relayed}, {"polling", polled}} {
		b.ReportMetric(quantileMs(v.ds, 0.5), v.name+"-p50-ms")
		b.ReportMetric(quantileMs(v.ds, 0.99), v.name+"-p99-ms")
		b.ReportMetric(quantileMs(v.ds, 1), v.name+"-max-ms")
	}
	b.ReportMetric(float64(len(relayed)), "samples")
	saveFigure(b, "propagation-latency", chart{
		title:  fmt.Sprintf("Fig change → file: pods updated within x (%d agents × %d changes)", propagationAgents, propagationChanges),
		xLabel: "seconds from the change in Fig to the new value in the pod's file (log scale)",
		yLabel: "% of pods updated", logX: true,
		series: []series{cdf("polling at the default 30 s (measured at 3 s, ×10)", seconds(polled, 1)),
			cdf("relay (web hook → relay → agent fetch)", seconds(relayed, 1))},
	}.svg())
}

// propagate runs one variant and returns every agent's latency for every
// change.
func propagate(b *testing.B, relay bool, figEvery time.Duration) []time.Duration {
	b.Helper()
	var (
		env *dev.Env
		r   *devrelay.Relay
	)
	if relay {
		env, r = startRelayEnv(b, dev.ExampleSeed(), time.Minute)
		defer r.Close()
	} else {
		env, _ = startEnv(b, dev.ExampleSeed())
	}
	defer env.Close()
	f := startFleet(b, env, propagationAgents, 30*time.Second/relayScale, func(c *config.Config) { c.Fig.PollInterval = config.Dur(figEvery) })
	defer f.stop()
	if relay {
		waitFor(b, "every agent subscribed", time.Minute, func() bool { return r.Hub.Subscribers() == propagationAgents })
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var out []time.Duration
	for i := range propagationChanges {
		if !relay {
			// The change comes at a random phase of the agents' polls, as
			// an admin's does: right after the previous change's last
			// arrival, that agent's next poll would be a whole interval
			// away. This is the experiment's design, not synchronisation.
			time.Sleep(time.Duration(rng.Int64N(int64(figEvery))))
		}
		v := fmt.Sprintf("propagated-%v-%02d", relay, i)
		at := time.Now()
		if err := env.Fig.SetValue("OrderService", "", "Location", figapi.String(v)); err != nil {
			b.Fatal(err)
		}
		out = append(out, f.await(b, propagationAgents, v, at, 3*figEvery)...)
	}
	return out
}

// BenchmarkRelayKilled: with the relay watching the vault (the agents'
// own Key Vault polling stretched to agent.RelaySafetyFactor intervals), the
// relay is stopped as a crash stops it (every stream cut, no list pass any
// more), and at that instant a Fig value changes and a secret is rotated.
// Every agent must have both in its file within one poll interval of its
// own (±10% jitter): its lost stream puts the vault back on its own
// interval, and Fig's status poll never stopped. Time runs relayScale times
// faster (Key Vault polled every 6 s, Fig every 3 s); the figures are
// multiplied back and also given as a share of the interval. Run it with
// -benchtime=1x.
func BenchmarkRelayKilled(b *testing.B) {
	const (
		agents   = 20
		kvEvery  = time.Minute / relayScale
		figEvery = 30 * time.Second / relayScale
	)
	var kv, fig []time.Duration
	for b.Loop() {
		env, r := startRelayEnv(b, dev.ExampleSeed(), kvEvery)
		f := startFleet(b, env, agents, 0, func(c *config.Config) {
			c.Fig.PollInterval = config.Dur(figEvery)
			c.KeyVaults[0].PollInterval = config.Dur(kvEvery)
		})
		waitFor(b, "every agent subscribed", time.Minute, func() bool { return r.Hub.Subscribers() == agents })
		awaitWatched(b, env, r, env.VaultURLs[env.VaultNames[0]])
		at := time.Now()
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
		v := fmt.Sprintf("after-the-relay-%d", len(kv))
		if err := env.Fig.SetValue("OrderService", "", "Location", figapi.String(v)); err != nil {
			b.Fatal(err)
		}
		if _, err := env.Vaults[env.VaultNames[0]].SetSecret("api-key", v); err != nil {
			b.Fatal(err)
		}
		// Both must arrive; waiting 3 intervals lets a late one be measured
		// rather than time out.
		fig = append(fig, f.await(b, agents, `"Location": "`+v, at, 3*figEvery)...)
		kv = append(kv, f.await(b, agents, `"PaymentApiKey": "`+v, at, 3*kvEvery)...)
		f.stop()
		_ = env.Close()
	}
	b.ReportMetric(float64(slices.Max(kv))*relayScale/1e9, "keyvault-max-s")
	b.ReportMetric(float64(slices.Max(kv))/float64(kvEvery), "keyvault-max/interval")
	b.ReportMetric(float64(quantile(kv, 0.5))*relayScale/1e9, "keyvault-p50-s")
	b.ReportMetric(float64(slices.Max(fig))*relayScale/1e9, "fig-max-s")
	b.ReportMetric(float64(slices.Max(fig))/float64(figEvery), "fig-max/interval")
	b.ReportMetric(float64(len(kv)), "agents-with-both")
}
