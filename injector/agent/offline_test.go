package agent_test

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/relay/offlinestore"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/injector/source/fig/offline"
	"github.com/fig-injector/fig-injector/injector/status"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// offlineFixture is an auto-advancing fixture whose agent is subscribed to
// a real relay (in-process, over TLS) that keeps offline copies in secrets,
// and whose connections to Fig fail while figDown is set (the address
// accepts and drops them: a transport error, as when Fig's pods are gone).
type offlineFixture struct {
	*fixture
	secrets *devenv.Secrets
	figDown atomic.Bool
	figHost string
	dead    string
}

func newOfflineFixture(t *testing.T) *offlineFixture {
	t.Helper()
	f := &offlineFixture{fixture: newFixtureWith(t, dev.Options{Seed: dev.ExampleSeed()}), dead: testutil.DroppingAddr(t)}
	var relayURL string
	relayURL, f.secrets = devenv.OfflineRelay(t, f.env)
	f.cfg.Relay = &config.Relay{URL: relayURL, TokenFile: devenv.RelayTokenFile(t)}
	u, err := url.Parse(f.cfg.Fig.APIURI)
	if err != nil {
		t.Fatal(err)
	}
	f.figHost = u.Host
	return f
}

func (f *offlineFixture) options() agent.Options {
	opts := f.fixture.options()
	var d net.Dialer
	opts.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == f.figHost && f.figDown.Load() {
			addr = f.dead
		}
		return d.DialContext(ctx, network, addr)
	}
	return opts
}

// storedCopy returns the ciphertext of the one copy at the relay ("" when
// there is none).
func (f *offlineFixture) storedCopy() string {
	all := f.secrets.All()
	if len(all) != 1 {
		return ""
	}
	return string(all[0].Data[offlinestore.DataKey])
}

// TestOfflineStartFromTheRelaysCopy (issue 14): a pod that ran with Fig up
// left an encrypted copy of its Fig settings at the relay (ciphertext only,
// no Key Vault secret in it); a new pod started while Fig is unreachable
// renders from that copy (FigSettingLoadType Offline), then, once Fig
// answers, reloads in full from Fig.
func TestOfflineStartFromTheRelaysCopy(t *testing.T) {
	f := newOfflineFixture(t)
	stop := f.start(f.options())
	f.eventually("the copy at the relay", func() bool { return f.storedCopy() != "" })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	sealed := f.storedCopy()
	whole, _ := json.Marshal(f.secrets.All())
	for _, v := range append([]string{"Amsterdam", "orders-db.shop.svc", "PostNL"}, seededSecrets...) {
		if strings.Contains(string(whole), v) {
			t.Errorf("the relay's Secret holds %q in plaintext", v)
		}
	}
	secret, err := os.ReadFile(f.cfg.Fig.ClientSecret.File)
	if err != nil {
		t.Fatal(err)
	}
	c, err := offline.Open(strings.TrimSpace(string(secret)), sealed)
	if err != nil {
		t.Fatalf("the copy does not open with the client secret: %v", err)
	}
	plain := string(offline.Marshal(c))
	if !strings.Contains(plain, "Amsterdam") || strings.Contains(plain, "dev-api-key-0001") || strings.Contains(plain, "dev-only-password") {
		t.Errorf("the copy should hold the Fig settings and no Key Vault secret:\n%s", plain)
	}

	if err := f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Utrecht")); err != nil {
		t.Fatal(err)
	}
	f.figDown.Store(true)
	opts := f.options()
	opts.Metrics = status.NewMetrics()
	offlineGauge := func() float64 {
		families, _ := testutil.Scrape(t, status.Handler(nil, opts.Metrics))
		return families["fig_injector_fig_offline_copy"].GetMetric()[0].GetGauge().GetValue()
	}
	f.start(opts)
	if g := offlineGauge(); g != 1 {
		t.Errorf("fig_injector_fig_offline_copy = %v after the offline start, want 1", g)
	}
	if got := f.key("Location"); got != "Amsterdam" || f.key("FigSettingLoadType") != "Offline" {
		t.Fatalf("started with Location %q, FigSettingLoadType %q; want the copy's Amsterdam, Offline", got, f.key("FigSettingLoadType"))
	}
	if f.key("ConnectionStrings:Orders") == "" || f.key("PaymentApiKey") != "dev-api-key-0001" {
		t.Error("Key Vault secrets missing: the pod reads them with its own identity, offline or not")
	}
	if !strings.Contains(f.logs.String(), "rendering from the relay's offline copy") {
		t.Error("the log does not say the file came from the offline copy")
	}

	f.figDown.Store(false)
	f.eventually("a full reload from Fig", func() bool {
		return f.key("Location") == "Utrecht" && f.key("FigSettingLoadType") == "Server"
	})
	if g := offlineGauge(); g != 0 {
		t.Errorf("fig_injector_fig_offline_copy = %v after the reload from Fig, want 0", g)
	}
}

// TestOfflineCopyRefreshedDaily: polls whose settings did not change
// upload nothing, but once a day (wire.OfflineRefresh) the copy is
// uploaded again, so the relay's retention keeps the copy of a client
// whose pods run.
func TestOfflineCopyRefreshedDaily(t *testing.T) {
	f := newOfflineFixture(t)
	f.start(f.options())
	f.eventually("the copy at the relay", func() bool { return f.storedCopy() != "" })
	secret, err := os.ReadFile(f.cfg.Fig.ClientSecret.File)
	if err != nil {
		t.Fatal(err)
	}
	persisted := func() time.Time {
		c, err := offline.Open(strings.TrimSpace(string(secret)), f.storedCopy())
		if err != nil {
			return time.Time{}
		}
		return c.PersistedUtc
	}
	first, start := persisted(), f.clock.Now()
	f.eventually("ten unchanged polls", func() bool { return f.clock.Now().Sub(start) > 10*f.cfg.Fig.PollInterval.D() })
	if got := persisted(); !got.Equal(first) {
		t.Fatalf("the copy was uploaded again (persisted %v, first %v) although the settings did not change", got, first)
	}
	f.clock.Add(wire.OfflineRefresh)
	f.eventually("the daily upload", func() bool { return persisted().Sub(first) >= wire.OfflineRefresh })
}

// TestOfflineCopyDeletedWhenFigDisallowsIt: Fig's AllowOfflineSettings
// false in a status reply deletes the copy at the relay, as Fig.Client
// deletes its file, and the status says offline settings are off.
func TestOfflineCopyDeletedWhenFigDisallowsIt(t *testing.T) {
	f := newOfflineFixture(t)
	f.start(f.options())
	f.eventually("the copy at the relay", func() bool { return f.storedCopy() != "" })
	sessions := f.env.Fig.RunSessions("OrderService")
	if len(sessions) != 1 || !sessions[0].OfflineSettingsEnabled {
		t.Errorf("the status does not report OfflineSettingsEnabled: %+v", sessions)
	}
	cfg := f.env.Fig.Config()
	cfg.AllowOfflineSettings = false
	f.env.Fig.SetConfig(cfg)
	f.eventually("the copy deleted", func() bool { return len(f.secrets.All()) == 0 })
	f.eventually("OfflineSettingsEnabled false in the status", func() bool {
		s := f.env.Fig.RunSessions("OrderService")
		return len(s) == 1 && !s[0].OfflineSettingsEnabled
	})
}

// TestOfflineCopyThatDoesNotDecryptIsDeleted: a copy sealed with another
// secret (the client secret was rotated) is deleted, as Fig.Client deletes
// its file, and the pod waits for Fig as it would without a copy.
func TestOfflineCopyThatDoesNotDecryptIsDeleted(t *testing.T) {
	f := newOfflineFixture(t)
	f.cfg.InitTimeout = config.Dur(time.Minute) // the pod waits for Fig however long the test takes to bring it back
	old, err := offline.Seal("a-secret-rotated-away-0123456789abcdef", offline.Copy{})
	if err != nil {
		t.Fatal(err)
	}
	store := &offlinestore.Store{API: f.secrets}
	if err := store.Put(context.Background(), offlinestore.Key{Client: "OrderService"}, []byte(old), "shop/orders-0"); err != nil {
		t.Fatal(err)
	}
	f.figDown.Store(true)
	a, _ := f.runAgent(f.cfg, f.options())
	f.eventually("the undecryptable copy deleted", func() bool { return f.storedCopy() != old })
	if a.Health().Ready() {
		t.Fatal("the pod started without Fig and without a usable copy")
	}
	f.figDown.Store(false)
	f.eventually("the file from Fig", func() bool { return a.Health().Ready() && f.key("FigSettingLoadType") == "Server" })
	f.eventually("a fresh copy", func() bool { return f.storedCopy() != "" && f.storedCopy() != old })
}

// TestClassicSidecarReplacesTheInitsOfflineStart: in classic mode the init
// container started from the offline copy while Fig was down; the sidecar
// takes its handover and still reloads from Fig in full once Fig answers,
// although no setting changed in Fig meanwhile.
func TestClassicSidecarReplacesTheInitsOfflineStart(t *testing.T) {
	f := newOfflineFixture(t)
	stop := f.start(f.options())
	f.eventually("the copy at the relay", func() bool { return f.storedCopy() != "" })
	must(t, stop())

	f.figDown.Store(true)
	stateDir := t.TempDir() + "/.fig-injector"
	opts := f.options()
	opts.StateDir = stateDir
	init, err := agent.New(context.Background(), f.cfg, opts)
	must(t, err)
	must(t, init.RenderOnce(context.Background()))
	must(t, init.SaveHandover(stateDir))
	if got := f.key("FigSettingLoadType"); got != "Offline" {
		t.Fatalf("the init container rendered FigSettingLoadType %q, want Offline", got)
	}
	f.start(opts)
	f.figDown.Store(false)
	f.eventually("the sidecar's full reload from Fig", func() bool { return f.key("FigSettingLoadType") == "Server" })
}
