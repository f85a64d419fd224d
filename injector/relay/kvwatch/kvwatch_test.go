package kvwatch_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/kvwatch"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

type passes struct {
	mu  sync.Mutex
	got []string
}

func (p *passes) VaultPass(vault, outcome string, requests int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, outcome)
}

// newWatcher starts the emulators and a Watcher using the seed's identity
// over real TLS with the real SDK, reporting into a hub.
func newWatcher(t *testing.T, now func() time.Time) (*dev.Env, *config.Config, *kvwatch.Watcher, *hub.Hub, *passes, *testutil.Buffer) {
	t.Helper()
	env, cfg := devenv.Start(t, dev.Options{})
	cred, hc := devenv.Identity(t, cfg)
	h := hub.New(nil)
	p := &passes{}
	logs := &testutil.Buffer{}
	w := kvwatch.New(kvwatch.Options{Credential: cred, HTTPClient: hc, DisableChallengeResourceVerification: true,
		Log: slog.New(slog.NewJSONHandler(logs, nil)), Metrics: p, Now: now}, h)
	return env, cfg, w, h, p, logs
}

// TestQuietVaultWakesNobody: with every version settled, a pass that finds
// nothing new reports nothing.
func TestQuietVaultWakesNobody(t *testing.T) {
	_, cfg, w, h, _, _ := newWatcher(t, func() time.Time { return time.Now().Add(time.Hour) })
	vault := wire.VaultKey(cfg.KeyVaults[0].URL)
	sub := h.Subscribe(wire.Subscription{Vaults: []string{vault}})
	w.Pass(context.Background(), h.Vaults())
	if diff := cmp.Diff([]wire.Event{{Type: wire.TypeVaultWatched, Vault: vault, Interval: "1m0s"}}, sub.Take()); diff != "" {
		t.Errorf("first pass (-want +got):\n%s", diff)
	}
	w.Pass(context.Background(), h.Vaults())
	if got := sub.Take(); got != nil {
		t.Errorf("nothing changed, got %v", got)
	}
}

// TestPassReportsNewVersions: a rotation and a new secret are reported on
// the next pass, even when written in the second the vault was listed
// (list times have one-second resolution).
func TestPassReportsNewVersions(t *testing.T) {
	env, cfg, w, h, p, _ := newWatcher(t, nil)
	vault := wire.VaultKey(cfg.KeyVaults[0].URL)
	sub := h.Subscribe(wire.Subscription{Vaults: []string{vault}})
	ctx := context.Background()

	w.Pass(ctx, h.Vaults())
	if diff := cmp.Diff([]wire.Event{{Type: wire.TypeVaultWatched, Vault: vault, Interval: "1m0s"}}, sub.Take()); diff != "" {
		t.Errorf("first pass (-want +got):\n%s", diff)
	}
	kv := env.Vaults[env.VaultNames[0]]
	if _, err := kv.SetSecret("api-key", "rotated"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.SetSecret("brand-new", "x"); err != nil {
		t.Fatal(err)
	}
	w.Pass(ctx, h.Vaults())
	got := sub.Take()
	if len(got) != 1 || got[0].Type != wire.TypeSecretsChanged || !slices.Contains(got[0].Secrets, "api-key") || !slices.Contains(got[0].Secrets, "brand-new") {
		t.Errorf("after rotation: %+v, want secretsChanged naming api-key and brand-new", got)
	}
	if diff := cmp.Diff([]string{"ok", "ok"}, p.got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

// TestForbiddenVaultIsUnwatchedUntilListable: a 403 on list tells the
// subscribers to keep their own polling, and the log and metrics say which
// vault and why; once listing works again they are told it is watched.
func TestForbiddenVaultIsUnwatchedUntilListable(t *testing.T) {
	env, cfg, w, h, p, logs := newWatcher(t, nil)
	vault := wire.VaultKey(cfg.KeyVaults[0].URL)
	kv := env.Vaults[env.VaultNames[0]]
	sub := h.Subscribe(wire.Subscription{Vaults: []string{vault}})
	kv.DenyList(true)
	w.Pass(context.Background(), h.Vaults())
	got := sub.Take()
	if len(got) != 1 || got[0].Type != wire.TypeVaultUnwatched || !strings.Contains(got[0].Reason, "403") || !strings.Contains(got[0].Reason, "Key Vault Reader") {
		t.Fatalf("events %+v, want one vaultUnwatched naming 403 and the role to grant", got)
	}
	if !strings.Contains(logs.String(), vault) || !strings.Contains(logs.String(), "Key Vault Reader") {
		t.Errorf("the log does not name the vault and the fix:\n%s", logs)
	}
	kv.DenyList(false)
	w.Pass(context.Background(), h.Vaults())
	if diff := cmp.Diff([]wire.Event{{Type: wire.TypeVaultWatched, Vault: vault, Interval: "1m0s"}}, sub.Take()); diff != "" {
		t.Errorf("after the grant (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"forbidden", "ok"}, p.got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

// TestNewVaultIsListedAtOnce: with a long interval, a vault that a new
// subscriber brings is listed when it arrives, not an interval later.
func TestNewVaultIsListedAtOnce(t *testing.T) {
	env, cfg := devenv.Start(t, dev.Options{})
	cred, hc := devenv.Identity(t, cfg)
	wake := make(chan struct{}, 1)
	h := hub.New(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	w := kvwatch.New(kvwatch.Options{Credential: cred, HTTPClient: hc, Interval: time.Hour, DisableChallengeResourceVerification: true}, h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx, h.Vaults, wake); close(done) }()
	defer func() { cancel(); <-done }()

	vault := wire.VaultKey(cfg.KeyVaults[0].URL)
	sub := h.Subscribe(wire.Subscription{Vaults: []string{vault}})
	select {
	case <-sub.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("the new vault was not listed within 20 s")
	}
	if diff := cmp.Diff([]wire.Event{{Type: wire.TypeVaultWatched, Vault: vault, Interval: "1h0m0s"}}, sub.Take()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := env.Vaults[env.VaultNames[0]].Requests("list"); n != 1 {
		t.Errorf("%d list requests, want 1", n)
	}
}

// TestCatchupReportsRecentChangesOnTheFirstListing: a replica taking over
// the listing reports the secrets updated within its catch-up window (the
// previous lister may not have seen them); with none, or for older
// updates, the first listing is only a baseline.
func TestCatchupReportsRecentChangesOnTheFirstListing(t *testing.T) {
	tests := []struct {
		name    string
		catchup time.Duration
		later   time.Duration // how long after the seed's writes the pass runs
		want    bool
	}{
		{"updated within the window", time.Minute, 0, true},
		{"updated before the window", time.Minute, time.Hour, false},
		{"no catch-up", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, cfg := devenv.Start(t, dev.Options{})
			cred, hc := devenv.Identity(t, cfg)
			h := hub.New(nil)
			w := kvwatch.New(kvwatch.Options{Credential: cred, HTTPClient: hc, DisableChallengeResourceVerification: true,
				Catchup: tt.catchup, Now: func() time.Time { return time.Now().Add(tt.later) }}, h)
			if _, err := env.Vaults[env.VaultNames[0]].SetSecret("api-key", "rotated"); err != nil {
				t.Fatal(err)
			}
			vault := wire.VaultKey(cfg.KeyVaults[0].URL)
			sub := h.Subscribe(wire.Subscription{Vaults: []string{vault}})
			w.Pass(context.Background(), h.Vaults())
			got := slices.ContainsFunc(sub.Take(), func(ev wire.Event) bool {
				return ev.Type == wire.TypeSecretsChanged && slices.Contains(ev.Secrets, "api-key")
			})
			if got != tt.want {
				t.Errorf("api-key reported: %v, want %v", got, tt.want)
			}
		})
	}
}
