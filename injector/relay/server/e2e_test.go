package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/kvwatch"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/subscribe"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

const hookSecret = "5b1c9d7e-2f4a-4b8c-9e6d-0a1f3c5e7b9d"

// TestEndToEnd: an admin edit in the Fig emulator → Fig's web hook → the
// relay → the subscriber's wake-up; a Key Vault rotation → the relay's list
// pass → the subscriber's wake-up. Everything over real TLS, the Key Vault
// side with the real SDK and the relay's own workload identity.
func TestEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wake := make(chan struct{}, 1)
	h := hub.New(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	verifier := testutil.HookVerifier(t, hookSecret)
	relay := httptest.NewUnstartedServer(server.New(server.Options{Hub: h, Authorizer: devenv.RelayPod{},
		Hooks: &hook.Handler{Verifier: verifier, Sink: h, Log: slog.New(slog.DiscardHandler)}}))
	relay.StartTLS()
	defer relay.Close()

	env, cfg := devenv.Start(t, dev.Options{FigOptions: figapi.Options{
		WebHooks: []figapi.WebHookClient{{Name: "relay", BaseURI: relay.URL + "/fig/", Secret: hookSecret,
			Hooks: []figapi.WebHook{{Type: figapi.WebHookSettingValueChanged, ClientNameRegex: ".*", SettingNameRegex: ".*"}}}},
		WebHookHTTPClient: relay.Client(),
	}})

	cred, hc := devenv.Identity(t, cfg)
	watcher := kvwatch.New(kvwatch.Options{Credential: cred, HTTPClient: hc, Interval: 50 * time.Millisecond,
		DisableChallengeResourceVerification: true}, h)
	go watcher.Run(ctx, h.Vaults, wake)

	tokenFile := devenv.RelayTokenFile(t)
	events := make(chan wire.Event, 100)
	vault := wire.VaultKey(cfg.KeyVaults[0].URL)
	done := make(chan error, 1)
	go func() {
		done <- subscribe.Run(ctx, subscribe.Options{URL: relay.URL, TokenFile: tokenFile, HTTPClient: relay.Client(),
			Subscription: wire.Subscription{Client: cfg.Fig.ClientName, Vaults: []string{vault}},
			OnEvent:      func(ev wire.Event) { events <- ev }})
	}()
	await := func(what string, match func(wire.Event) bool) {
		t.Helper()
		devenv.AwaitEvent(t, events, 20*time.Second, what, match)
	}
	await("hello", func(ev wire.Event) bool { return ev.Type == wire.TypeHello })
	await("vaultWatched", func(ev wire.Event) bool { return ev.Type == wire.TypeVaultWatched && ev.Vault == vault })

	if err := env.Fig.SetValue(cfg.Fig.ClientName, "", "Location", figapi.String("Utrecht")); err != nil {
		t.Fatal(err)
	}
	await("settingsChanged naming Location", func(ev wire.Event) bool {
		return ev.Type == wire.TypeSettingsChanged && ev.Client == cfg.Fig.ClientName && slices.Contains(ev.Settings, "Location")
	})

	if _, err := env.Vaults[env.VaultNames[0]].SetSecret("api-key", "rotated"); err != nil {
		t.Fatal(err)
	}
	await("secretsChanged naming api-key", func(ev wire.Event) bool {
		return ev.Type == wire.TypeSecretsChanged && ev.Vault == vault && slices.Contains(ev.Secrets, "api-key")
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("subscriber ended with %v", err)
	}
}
