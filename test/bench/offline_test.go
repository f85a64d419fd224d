package bench

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// BenchmarkOfflineStart is issue 14's "time for a new pod to start from the
// offline copy while Fig is down": agent start (agent.New) → first file
// (RenderOnce), for the example seed against the emulators over TLS and an
// in-process relay holding the client's encrypted copy, a new agent each
// iteration. fig-down: every connection to Fig is dropped (a transport
// error, as when Fig's pods are gone), so the file comes from the relay's
// copy (GET, decrypt, map) plus Key Vault as usual; fig-up: the same start
// with Fig answering, for comparison. Without the relay a pod with Fig down
// has no file until Fig is back.
//
//	go test -run '^$' -bench BenchmarkOfflineStart -benchtime 20x ./test/bench/
func BenchmarkOfflineStart(b *testing.B) {
	env, cfg := startEnv(b, dev.ExampleSeed())
	relayURL, secrets := devenv.OfflineRelay(b, env)
	cfg.Relay = &config.Relay{URL: relayURL, TokenFile: devenv.RelayTokenFile(b)}
	figURL, err := url.Parse(cfg.Fig.APIURI)
	if err != nil {
		b.Fatal(err)
	}
	dead := testutil.DroppingAddr(b)
	dial := func(figDown bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			if figDown && addr == figURL.Host {
				addr = dead
			}
			return d.DialContext(ctx, network, addr)
		}
	}
	seedOfflineCopy(b, cfg, func() int { return len(secrets.All()) })

	dir := b.TempDir()
	for _, variant := range []struct {
		name    string
		figDown bool
	}{{"fig-up", false}, {"fig-down", true}} {
		b.Run(variant.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				c := *cfg
				c.Outputs = []config.Output{{Path: filepath.Join(dir, fmt.Sprintf("%s-%d.json", variant.name, i)), Format: "json", Mode: "0440"}}
				i++
				var log jsonLog
				a, err := agent.New(context.Background(), &c, agent.Options{Logger: log.logger(), Getenv: func(string) string { return "" }, Dial: dial(variant.figDown)})
				if err != nil {
					b.Fatal(err)
				}
				if err := a.RenderOnce(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "first-file-ms")
			last, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%s-%d.json", variant.name, i-1)))
			if want := map[bool]string{true: `"Offline"`, false: `"Server"`}[variant.figDown]; err != nil || !strings.Contains(string(last), want) {
				b.Fatalf("the last file does not say FigSettingLoadType %s (%v)", want, err)
			}
		})
	}
}

// seedOfflineCopy runs one agent with Fig up until its copy is at the relay.
func seedOfflineCopy(tb testing.TB, cfg *config.Config, copies func() int) {
	tb.Helper()
	c := *cfg
	c.Outputs = []config.Output{{Path: filepath.Join(tb.TempDir(), "seed.json"), Format: "json", Mode: "0440"}}
	var log jsonLog
	a, err := agent.New(context.Background(), &c, agent.Options{Logger: log.logger(), Getenv: func(string) string { return "" }})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitFor(tb, "the offline copy at the relay", 20*time.Second, func() bool { return copies() == 1 })
	cancel()
	if err := <-done; err != nil {
		tb.Fatal(err)
	}
}
