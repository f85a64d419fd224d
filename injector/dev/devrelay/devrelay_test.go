package devrelay_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/devrelay"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/relay/subscribe"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/injector/transport"
	"github.com/fig-injector/fig-injector/internal/devenv"
)

// TestRelayNextToDev: agent.yaml subscribes to the relay, a holder of the
// token it wrote is accepted and hears about the vault and about a Fig
// edit (the emulator's web hook), and any other token is refused with 401.
func TestRelayNextToDev(t *testing.T) {
	dir := t.TempDir()
	r, err := devrelay.Listen(devrelay.Options{Dir: dir, VaultInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, err := dev.Start(ctx, dev.Options{Dir: dir, AgentListen: "127.0.0.1:0", AgentRelay: r.AgentConfig(),
		FigOptions: figapi.Options{WebHooks: []figapi.WebHookClient{r.WebHook()}}})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if err := r.Serve(env); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cfg, err := config.Load(env.AgentConfigPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Relay == nil || cfg.Relay.URL != r.URL || cfg.Relay.TokenFile != r.TokenFile {
		t.Fatalf("agent.yaml relay section %+v, want %s and %s", cfg.Relay, r.URL, r.TokenFile)
	}
	hc, err := transport.New(transport.Options{CAFile: env.CAFile, Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	vault := wire.VaultKey(cfg.KeyVaults[0].URL)
	events := make(chan wire.Event, 10)
	done := make(chan error, 1)
	go func() {
		done <- subscribe.Run(ctx, subscribe.Options{URL: r.URL, TokenFile: r.TokenFile, HTTPClient: hc,
			Subscription: wire.Subscription{Client: cfg.Fig.ClientName, Vaults: []string{vault}},
			OnEvent:      func(ev wire.Event) { events <- ev }})
	}()
	await := func(what string, match func(wire.Event) bool) {
		t.Helper()
		devenv.AwaitEvent(t, events, 20*time.Second, what, match)
	}
	await("vaultWatched", func(ev wire.Event) bool { return ev.Type == wire.TypeVaultWatched && ev.Vault == vault })
	if err := env.Fig.SetValue(cfg.Fig.ClientName, "", "Location", figapi.String("Utrecht")); err != nil {
		t.Fatal(err)
	}
	await("settingsChanged", func(ev wire.Event) bool {
		return ev.Type == wire.TypeSettingsChanged && slices.Contains(ev.Settings, "Location")
	})

	other := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(other, []byte("someone-else"), 0o600); err != nil {
		t.Fatal(err)
	}
	refused := make(chan error, 1)
	go func() {
		_ = subscribe.Run(ctx, subscribe.Options{URL: r.URL, TokenFile: other, HTTPClient: hc,
			OnState: func(connected bool, err error) {
				if !connected {
					refused <- err
				}
			}})
	}()
	var re *subscribe.RefusedError
	if err := <-refused; !errors.As(err, &re) || re.Status != 401 {
		t.Errorf("another token: %v, want a 401 refusal", err)
	}
	cancel()
	<-done
}
