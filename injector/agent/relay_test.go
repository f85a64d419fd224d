package agent_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/kvwatch"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

const relayHookSecret = "7d2e4c1a-9b3f-4e6d-8a5c-1f0e2d3c4b5a"

// relay is the real relay server in-process over TLS (a certificate from
// the emulators' CA, which the agent trusts), with its Key Vault list pass
// on the emulators and Fig's web hooks pointed at it.
type relay struct {
	hub         *hub.Hub
	srv         *httptest.Server
	stopWatcher func() // ends the list pass and waits until it has ended
}

// kill ends the relay as a crash would: streams cut, nothing listening,
// no more list passes.
func (r *relay) kill() {
	r.stopWatcher()
	r.srv.CloseClientConnections()
	r.srv.Close()
}

// newRelayFixture is a stepped fixture whose agent subscribes to a relay.
func newRelayFixture(t *testing.T) (*fixture, *relay) {
	t.Helper()
	return newRelayFixtureSeed(t, dev.ExampleSeed())
}

// newRelayFixtureSeed is newRelayFixture with the emulators seeded by seed;
// the agent reads the seed's orders-kv only.
func newRelayFixtureSeed(t *testing.T, seed []byte) (*fixture, *relay) {
	t.Helper()
	wake := make(chan struct{}, 1)
	h := hub.New(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	srv := httptest.NewUnstartedServer(server.New(server.Options{Hub: h, Authorizer: devenv.RelayPod{},
		Hooks: &hook.Handler{Verifier: testutil.HookVerifier(t, relayHookSecret), Sink: h, Log: slog.New(slog.DiscardHandler)}}))
	url := "https://" + srv.Listener.Addr().String()
	f := newSteppedFixture(t, dev.Options{Seed: seed, FigOptions: figapi.Options{
		WebHooks: []figapi.WebHookClient{{Name: "relay", BaseURI: url + "/fig/", Secret: relayHookSecret,
			Hooks: []figapi.WebHook{{Type: figapi.WebHookSettingValueChanged, ClientNameRegex: ".*", SettingNameRegex: ".*"}}}},
	}})
	tlsCfg, err := f.env.CA.TLSConfig("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = tlsCfg
	srv.StartTLS()
	t.Cleanup(srv.Close)

	cred, hc := devenv.Identity(t, f.cfg)
	ctx, cancel := context.WithCancel(context.Background())
	watcher := kvwatch.New(kvwatch.Options{Credential: cred, HTTPClient: hc, Interval: 50 * time.Millisecond,
		DisableChallengeResourceVerification: true}, h)
	done := make(chan struct{})
	go func() { defer close(done); watcher.Run(ctx, h.Vaults, wake) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)

	f.cfg.Relay = &config.Relay{URL: url, TokenFile: devenv.RelayTokenFile(t)}
	f.cfg.KeyVaults = slices.DeleteFunc(f.cfg.KeyVaults, func(kv config.KeyVault) bool { return kv.Name != "orders-kv" })
	return f, &relay{hub: h, srv: srv, stopWatcher: stop}
}

// startWatched starts the agent and waits until the relay watches its vault:
// Fig's status poll keeps its interval, the vault's own poll is stretched to
// the safety interval. Then it moves half a poll interval on, as
// startStepped does.
func (f *fixture) startWatched() {
	f.t.Helper()
	f.start(f.steppedOptions())
	f.awaitTimersThenSafetyPoll(time.Second) // Fig's status poll; the vault's safety poll
	f.clock.Add(halfPoll)
	f.awaitTimersThenSafetyPoll(halfPoll)
}

// awaitTimersThenSafetyPoll waits until the agent waits for exactly these
// durations and then for the vault's safety poll, 10 × its 1 s interval
// counted from its last poll. The relay may wake the vault more than once
// (its list has one-second timestamps: a change is reported again on the
// next pass), so that poll is anywhere from 9 s to 10 s away.
func (f *fixture) awaitTimersThenSafetyPoll(want ...time.Duration) {
	f.t.Helper()
	testutil.Eventually(f.t, fmt.Sprintf("the agent waiting for %v and the safety poll", want), 15*time.Second, func() bool {
		p := f.clock.Pending()
		n := len(want)
		return len(p) == n+1 && slices.Equal(p[:n], want) && p[n] > 9*time.Second && p[n] <= 10*time.Second
	})
}

// A Fig change reaches the file through Fig's web hook, the relay and the
// agent's fetch while the agent's next status poll is still half an
// interval away: no status was sent for it.
func TestRelayFigHookFetchesBeforeThePollInterval(t *testing.T) {
	f, _ := newRelayFixture(t)
	f.startWatched()
	statuses := f.env.Fig.Requests(figapi.RouteStatus)

	if err := f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Utrecht")); err != nil {
		t.Fatal(err)
	}
	// Fetched (the status poll starts its interval again after a fetch); the
	// run loop coalesces.
	f.awaitTimersThenSafetyPoll(window, time.Second)
	f.clock.Add(window)
	f.eventually("the Fig change in the file", func() bool { return f.key("Location") == "Utrecht" })
	if got := f.env.Fig.Requests(figapi.RouteStatus); got != statuses {
		t.Errorf("%d status polls before the change arrived, want none: the hook, not the poll, brought it", got-statuses)
	}
}

// While the relay watches the vault the agent's own polling is paused (the
// safety poll is 10 s away), and a rotation the relay's list pass sees still
// reaches the file at once. When the relay dies, the vault is back on its
// own 1 s polling.
func TestRelayWakesPausedVaultPollingAndFallsBackWhenKilled(t *testing.T) {
	f, r := newRelayFixture(t)
	f.startWatched()

	if _, err := f.env.Vaults["orders-kv"].SetSecret("api-key", "rotated-api-key-0004"); err != nil {
		t.Fatal(err)
	}
	// The vault was polled at once and waits the safety interval again.
	f.awaitTimersThenSafetyPoll(window, halfPoll)
	f.clock.Add(window)
	f.eventually("the rotated secret in the file", func() bool { return f.key("PaymentApiKey") == "rotated-api-key-0004" })

	r.kill()
	f.awaitTimers(halfPoll-window, time.Second) // Fig's poll as before; the vault on its own interval
	vault := f.env.Vaults["orders-kv"]
	requests := func() int { return vault.Requests(keyvault.RouteList) + vault.Requests(keyvault.RouteGet) }
	before := requests()
	f.clock.Add(time.Second)
	f.eventually("the agent polling the vault itself", func() bool { return requests() > before })
}

// A vault the relay stops watching (its identity lost the right to list it,
// say) is back on the agent's own interval at once, and paused again when
// the relay watches it again.
func TestRelayUnwatchedVaultIsBackOnItsOwnPolling(t *testing.T) {
	f, r := newRelayFixture(t)
	f.startWatched()
	r.stopWatcher() // the test speaks for the list pass from here on
	vault := wire.VaultKey(f.cfg.KeyVaults[0].URL)

	r.hub.VaultUnwatched(vault, "403 Forbidden")
	f.awaitTimers(halfPoll, time.Second)
	r.hub.VaultWatched(vault, "1m")
	f.awaitTimers(halfPoll, 10*time.Second)
}

// A vault the agent learns of only later, from a Key Vault reference in a
// Fig value, joins its relay subscription: the agent resubscribes with the
// new vault set and the relay watches that vault too.
func TestRelaySubscriptionFollowsVaultsLearnedFromFig(t *testing.T) {
	seed := strings.Replace(string(dev.ExampleSeed()), "\nidentities:", "\n  - name: other-kv\n    secrets:\n      - name: api-key\n        value: other-api-key-0001\nidentities:", 1)
	f, r := newRelayFixtureSeed(t, []byte(seed))
	f.startWatched()
	orders, other := wire.VaultKey(f.env.VaultURLs["orders-kv"]), wire.VaultKey(f.env.VaultURLs["other-kv"])
	if got := r.hub.Vaults(); !slices.Equal(got, []string{orders}) {
		t.Fatalf("the relay watches %v before the reference, want only %s", got, orders)
	}

	if err := f.env.Fig.SetValue("OrderService", "", "PaymentApiKey", figapi.String("@Microsoft.KeyVault(SecretUri="+other+"secrets/api-key)")); err != nil {
		t.Fatal(err)
	}
	f.awaitTimersThenSafetyPoll(window, time.Second) // fetched through the hook; the run loop coalesces
	f.clock.Add(window)                              // the render finds the reference and registers other-kv
	both := []string{orders, other}
	slices.Sort(both) // as the hub lists them
	f.eventually("the relay watching the new vault for the agent", func() bool { return slices.Equal(r.hub.Vaults(), both) })
	if n := r.hub.Subscribers(); n != 1 {
		t.Errorf("%d subscriptions at the relay, want the agent's one (the old stream replaced)", n)
	}
}

// A change Fig announces to nobody (a value-only import fires no web hook,
// and a hook sent while the agent's stream is down reaches no one) is
// caught when the stream comes back: the agent sends a status at once,
// which says an update is available, instead of waiting for its next
// status poll (the stepped clock never reaches it here).
func TestRelayReconnectCatchesUpOnChangesItMissed(t *testing.T) {
	f, r := newRelayFixture(t)
	f.startWatched()
	if err := f.env.Fig.ImportValues("OrderService", "", map[string]figapi.Value{"Location": figapi.String("Utrecht")}); err != nil {
		t.Fatal(err)
	}
	statuses := f.env.Fig.Requests(figapi.RouteStatus)

	r.srv.CloseClientConnections() // the stream drops; the agent reconnects after its backoff
	f.eventually("the status sent on reconnecting", func() bool { return f.env.Fig.Requests(figapi.RouteStatus) > statuses })
	testutil.Eventually(t, "the fetch it triggered, coalescing", 15*time.Second, func() bool { return slices.Contains(f.clock.Pending(), window) })
	f.clock.Add(window)
	f.eventually("the imported value in the file", func() bool { return f.key("Location") == "Utrecht" })
}
