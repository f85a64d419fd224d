package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/status"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// BenchmarkFirstRender is container start → first file (SPEC §5: < 100 ms
// after the token is in hand): agent.New and RenderOnce for the example
// seed against the emulators over TLS, a new agent (new TLS connections, a
// new Entra ID token exchange) each iteration. ns/op includes the token
// exchange; token-ms is that exchange alone (the
// time Entra ID's emulator took to answer, without the TLS handshake, so the
// figure below errs high), so render-after-token-ms is
// the SPEC's figure.
func BenchmarkFirstRender(b *testing.B) {
	var tokenNanos atomic.Int64
	_, cfg := startEnv(b, dev.ExampleSeed(), func(o *dev.Options) {
		o.EntraOptions.Observe = func(ev entra.Event) {
			if ev.Route == entra.RouteToken {
				tokenNanos.Add(int64(ev.Duration))
			}
		}
	})
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		c := *cfg
		c.Outputs = []config.Output{{Path: filepath.Join(dir, fmt.Sprintf("out-%d.json", i)), Format: "json", Mode: "0440"}}
		i++
		var log jsonLog
		a, err := agent.New(context.Background(), &c, agent.Options{Logger: log.logger(), Getenv: func(string) string { return "" }})
		if err != nil {
			b.Fatal(err)
		}
		if err := a.RenderOnce(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	token := float64(tokenNanos.Load()) / float64(b.N)
	b.ReportMetric(perOp/1e6, "first-render-ms")
	b.ReportMetric(token/1e6, "token-ms")
	b.ReportMetric((perOp-token)/1e6, "render-after-token-ms")
}

// BenchmarkChangeToFile is change detected → file replaced (SPEC §5:
// < 100 ms, excluding the poll wait), for a Fig change and a Key Vault
// rotation, from the agent's own histogram fig_injector_change_to_file_seconds
// (detection = the poller's start of the fetch that found the change;
// replaced = output.Write returned). One change per iteration; run it with
// -benchtime=Nx, because every iteration waits for a poll.
func BenchmarkChangeToFile(b *testing.B) {
	for _, kind := range []string{"fig", "keyvault"} {
		b.Run(kind, func(b *testing.B) {
			env, cfg := startEnv(b, dev.ExampleSeed())
			cfg.Fig.PollInterval = config.Dur(time.Second)
			cfg.KeyVaults[0].PollInterval = config.Dur(time.Second)
			m := status.NewMetrics()
			a, err := agent.New(context.Background(), cfg, agent.Options{Metrics: m, Getenv: func(string) string { return "" }})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			defer func() { cancel(); <-done }()
			waitFor(b, "the first render", 20*time.Second, func() bool { return a.Health().Ready() })
			before := histogram(b, m)
			i := 0
			for b.Loop() {
				v := fmt.Sprintf("change-%06d", i)
				i++
				if kind == "fig" {
					if err := env.Fig.SetValue("OrderService", "", "Location", figapi.String(v)); err != nil {
						b.Fatal(err)
					}
				} else if _, err := env.Vaults["orders-kv"].SetSecret("api-key", v); err != nil {
					b.Fatal(err)
				}
				waitFor(b, "the change in the file", 20*time.Second, func() bool { return fileHas(env.OutputPath, v) })
			}
			after := histogram(b, m)
			n := after.count - before.count
			if n == 0 {
				b.Fatal("no change-to-file observation")
			}
			b.ReportMetric((after.sum-before.sum)/float64(n)*1e3, "change-to-file-ms")
			b.ReportMetric(float64(after.under100ms-before.under100ms)/float64(n)*100, "%-under-100ms")
		})
	}
}

// hist is the state of fig_injector_change_to_file_seconds.
type hist struct {
	count, under100ms uint64
	sum               float64
}

func histogram(b *testing.B, m *status.Metrics) hist {
	b.Helper()
	mfs, _ := testutil.Scrape(b, status.Handler(nil, m))
	for _, mf := range mfs {
		if mf.GetName() != "fig_injector_change_to_file_seconds" {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		out := hist{count: h.GetSampleCount(), sum: h.GetSampleSum()}
		for _, bk := range h.GetBucket() {
			if bk.GetUpperBound() == 0.1 {
				out.under100ms = bk.GetCumulativeCount()
			}
		}
		return out
	}
	return hist{}
}
