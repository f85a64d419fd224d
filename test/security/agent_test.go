package security

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/injector/status"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// TestAgentEmitsNoSecretInAnyPath runs the agent in process through a
// first render, changes, and every failure it can meet (Key Vault 500, 403
// and 429, Fig 500 and 401 after a wrong client secret, a missing required
// secret at start-up), with JSON and text logs at debug level, and scans
// logs, errors, /metrics, /healthz, /readyz and every status body Fig got.
func TestAgentEmitsNoSecretInAnyPath(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	env, cfg := devenv.Start(t, dev.Options{Seed: seed})
	token, err := os.ReadFile(env.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	values := append(sentinels(), strings.TrimSpace(string(token)))
	cfg.Fig.PollInterval = config.Dur(time.Second)
	cfg.KeyVaults[0].PollInterval = config.Dur(time.Second)
	cfg.KeyVaults[0].Secrets = []config.SecretMapping{{Name: "mapped-secret", Key: "Mapped:Secret"}}
	cfg.InitTimeout = config.Dur(10 * time.Second)

	var jsonLogs, textLogs testutil.Buffer
	logger := slog.New(teeHandler{
		slog.NewJSONHandler(&jsonLogs, &slog.HandlerOptions{Level: slog.LevelDebug}),
		slog.NewTextHandler(&textLogs, &slog.HandlerOptions{Level: slog.LevelDebug}),
	})
	metrics := status.NewMetrics()
	fast := agent.Schedule{Jitter: 0.1, Initial: 100 * time.Millisecond, Max: time.Second, Min: 10 * time.Millisecond}
	opts := agent.Options{Logger: logger, Metrics: metrics, Getenv: func(string) string { return "" }, Schedule: &fast}
	var errs []string

	// A failure path before the real run: a required secret that does not exist.
	broken := *cfg
	broken.KeyVaults = []config.KeyVault{cfg.KeyVaults[0]}
	broken.KeyVaults[0].Secrets = []config.SecretMapping{{Name: "does-not-exist", Key: "Missing"}}
	broken.InitTimeout = config.Dur(time.Second)
	if a, err := agent.New(ctx, &broken, agent.Options{Logger: logger, Getenv: opts.Getenv, Schedule: &fast}); err != nil {
		errs = append(errs, err.Error())
	} else if err := a.RenderOnce(ctx); err != nil {
		errs = append(errs, err.Error())
	} else {
		t.Error("RenderOnce succeeded with a missing required secret")
	}

	a, err := agent.New(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	eventually(t, "the first render", func() bool { return a.Health().Ready() })
	srv := httptest.NewServer(status.Handler(a.Health(), metrics))
	defer srv.Close()

	out, _ := os.ReadFile(env.OutputPath)
	for _, v := range []string{figSecretSetting, kvPrefixSecret, kvReferenced, kvMapped} {
		if !strings.Contains(string(out), v) {
			t.Errorf("the output file lacks the value %.18s… (the scan would prove nothing)", v)
		}
	}
	if info, err := os.Stat(env.OutputPath); err != nil || info.Mode().Perm() != 0o440 {
		t.Errorf("output mode %v (%v), want 0440", info.Mode().Perm(), err)
	}

	kv := env.Vaults["orders-kv"]
	var bodies []string
	grab := func() {
		for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
			bodies = append(bodies, get(t, srv.URL+p))
		}
	}
	step := func(what string, cond func() bool) {
		t.Helper()
		eventually(t, what, cond)
		grab()
	}
	// A rotation reaches the file.
	_, err = kv.SetSecret("api-key", kvRotated)
	must(t, err)
	step("the rotated secret in the file", func() bool { return fileHas(env.OutputPath, kvRotated) })
	// Key Vault failures: 500, 429, then 403 on the referenced secret.
	lists := kv.Requests(keyvault.RouteList)
	kv.Inject(keyvault.RouteList, keyvault.Fault{Status: http.StatusInternalServerError, Times: 2})
	kv.Inject(keyvault.RouteList, keyvault.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1})
	step("Key Vault failures", func() bool { return kv.Requests(keyvault.RouteList) >= lists+4 })
	kv.DenySecret("api-key", true)
	_, err = kv.SetSecret("api-key", kvRotated+"-2")
	must(t, err)
	values = append(values, kvRotated+"-2")
	step("a denied secret logged", func() bool { return strings.Contains(jsonLogs.String(), "403") })
	kv.DenySecret("api-key", false)
	// Fig failures: 500, then a wrong client secret (401).
	env.Fig.Inject(figapi.RouteSettings, figapi.Fault{Status: http.StatusInternalServerError, Times: 2})
	must(t, env.Fig.SetValue("OrderService", "", "SmtpPassword", figapi.String(figSecretSetting+"-2")))
	values = append(values, figSecretSetting+"-2")
	step("the Fig change after the 500s", func() bool { return fileHas(env.OutputPath, figSecretSetting+"-2") })
	must(t, os.WriteFile(env.FigSecretFile, []byte(wrongClientSecret+"\n"), 0o600))
	statuses := env.Fig.Requests(figapi.RouteStatus)
	step("Fig polls with the wrong secret", func() bool {
		return env.Fig.Requests(figapi.RouteStatus) >= statuses+2 && strings.Contains(jsonLogs.String(), "401")
	})
	stop()
	if err := <-done; err != nil {
		errs = append(errs, err.Error())
	}

	scan(t, "JSON logs", jsonLogs.String(), values)
	scan(t, "text logs", textLogs.String(), values)
	scan(t, "errors", strings.Join(errs, "\n"), values)
	scan(t, "status endpoints", strings.Join(bodies, "\n"), values)
	for _, s := range env.Fig.RunSessions("OrderService") {
		scan(t, "status body sent to Fig", string(s.LastStatus)+string(s.CustomProperties), values)
		if s.Health != nil {
			for _, c := range s.Health.Components {
				scan(t, "health message sent to Fig", c.Name+" "+c.Message, values)
			}
		}
	}
	if !strings.Contains(jsonLogs.String(), "Key Vault poll failed") || !strings.Contains(textLogs.String(), "level=WARN") {
		t.Error("the failure paths were not exercised (no failure logged)")
	}
}

// teeHandler sends every record to several handlers.
type teeHandler []slog.Handler

func (h teeHandler) Enabled(ctx context.Context, l slog.Level) bool { return true }
func (h teeHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, x := range h {
		_ = x.Handle(ctx, r.Clone())
	}
	return nil
}
func (h teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(teeHandler, len(h))
	for i, x := range h {
		out[i] = x.WithAttrs(as)
	}
	return out
}
func (h teeHandler) WithGroup(name string) slog.Handler {
	out := make(teeHandler, len(h))
	for i, x := range h {
		out[i] = x.WithGroup(name)
	}
	return out
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func fileHas(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), s)
}

// eventually polls cond every 10 ms for up to 15 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, what, 15*time.Second, cond)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
