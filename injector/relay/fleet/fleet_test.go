package fleet_test

import (
	"context"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/fleet"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/kvwatch"
	"github.com/fig-injector/fig-injector/injector/relay/lease"
	"github.com/fig-injector/fig-injector/injector/relay/peers"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

const (
	interval      = 200 * time.Millisecond
	leaseDuration = time.Second // the Lease counts whole seconds
)

// relayToken is the replicas' own token; relayAccount accepts only it, as
// TokenReview with auth.Kubernetes.Peer does (tested in relay/auth).
const relayToken = "relay-token"

type relayAccount struct{}

func (relayAccount) AuthenticatePeer(_ context.Context, token string) error {
	if token != relayToken {
		return fmt.Errorf("%w: not the relay's service account", auth.ErrForbidden)
	}
	return nil
}

// passCount counts one replica's list passes (kvwatch.Metrics).
type passCount struct{ n atomic.Int64 }

func (p *passCount) VaultPass(string, string, int) { p.n.Add(1) }

// cluster is the replicas' shared world: the Lease, the emulators' Key
// Vault and identity, and each replica's URL for the others' Discovery.
type cluster struct {
	t     *testing.T
	store *testutil.LeaseStore
	cred  azcore.TokenCredential
	hc    *http.Client
	token string

	mu   sync.Mutex
	urls map[string]string
}

type replica struct {
	name   string
	hub    *hub.Hub
	passes *passCount
	lease  *testutil.LeaseClient
	el     *lease.Elector
	stop   func()
}

func (c *cluster) peersOf(self string) func() []string {
	return func() []string {
		c.mu.Lock()
		defer c.mu.Unlock()
		var out []string
		for name, u := range c.urls {
			if name != self {
				out = append(out, u)
			}
		}
		slices.Sort(out)
		return out
	}
}

// start runs one replica as server.Run wires it, on loopback.
func (c *cluster) start(name string) *replica {
	t := c.t
	var coord *fleet.Coordinator
	h := hub.New(func() { coord.LocalVaultsChanged() })
	r := &replica{name: name, hub: h, passes: &passCount{}, lease: &testutil.LeaseClient{Store: c.store}}
	log := slog.New(slog.DiscardHandler)
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // handshakes cut short by Close
	srv.StartTLS()                                      // every httptest server has the same certificate: one client trusts all
	fwd := &peers.Forwarder{Local: h, Peers: c.peersOf(name), HTTPClient: srv.Client(), TokenFile: c.token, Log: log}
	coord = fleet.New(fleet.Options{Self: name, Hub: h, Peers: fwd, Interval: interval, LeaseDuration: leaseDuration, Log: log,
		NewWatcher: func(sink kvwatch.Sink, catchup time.Duration) fleet.Watcher {
			return kvwatch.New(kvwatch.Options{Credential: c.cred, HTTPClient: c.hc, Interval: interval, Metrics: r.passes,
				Catchup: catchup, DisableChallengeResourceVerification: true}, sink)
		}})
	srv.Config.Handler = server.New(server.Options{Hub: h, Authorizer: devenv.RelayPod{}, Peers: relayAccount{}, Fleet: coord, MinSpacing: -1,
		Log: log})
	r.el = lease.New(lease.Config{API: r.lease, Identity: name, LeaseDuration: leaseDuration, RenewDeadline: 600 * time.Millisecond,
		RetryPeriod: 100 * time.Millisecond, Lead: coord.Lead, Observed: coord.Observed, Log: log})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.el.Run(ctx) })
	wg.Go(func() { coord.Report(ctx) })
	c.mu.Lock()
	c.urls[name] = srv.URL
	c.mu.Unlock()
	r.stop = sync.OnceFunc(func() {
		c.mu.Lock()
		delete(c.urls, name)
		c.mu.Unlock()
		cancel()
		wg.Wait()
		srv.Close()
	})
	t.Cleanup(r.stop)
	return r
}

func newCluster(t *testing.T) (*cluster, *dev.Env, string) {
	env, cfg := devenv.Start(t, dev.Options{})
	cred, hc := devenv.Identity(t, cfg)
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte(relayToken), 0o600); err != nil {
		t.Fatal(err)
	}
	return &cluster{t: t, store: &testutil.LeaseStore{}, cred: cred, hc: hc, token: token, urls: map[string]string{}},
		env, wire.VaultKey(cfg.KeyVaults[0].URL)
}

// await collects sub's events until one matches.
func await(t *testing.T, sub *hub.Subscription, what string, match func(wire.Event) bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	var seen []wire.Event
	for {
		select {
		case <-sub.Ready():
			evs := sub.Take()
			if slices.ContainsFunc(evs, match) {
				return
			}
			seen = append(seen, evs...)
		case <-deadline:
			t.Fatalf("no %s within 20 s; got %+v", what, seen)
		}
	}
}

// TestOneListerForTheFleet: of two replicas only the Lease holder lists
// Key Vault, over the union of both replicas' vaults (here a vault only
// the other replica's subscriber reads), and that subscriber hears the
// holder's findings; when the holder stops renewing, the other replica
// takes over within a lease duration and lists on its own.
func TestOneListerForTheFleet(t *testing.T) {
	c, env, vault := newCluster(t)
	kv := env.Vaults[env.VaultNames[0]]
	a := c.start("relay-a")
	testutil.Eventually(t, "relay-a leads", 10*time.Second, a.el.IsLeader)
	b := c.start("relay-b")
	testutil.Eventually(t, "relay-b sees relay-a hold the Lease", 10*time.Second, func() bool { return b.el.Holder() == "relay-a" })

	sub := b.hub.Subscribe(wire.Subscription{Vaults: []string{vault}}) // only relay-b's subscriber reads it
	defer sub.Close()
	await(t, sub, "vaultWatched from relay-a's list pass", func(ev wire.Event) bool {
		return ev.Type == wire.TypeVaultWatched && ev.Vault == vault
	})
	if _, err := kv.SetSecret("api-key", "rotated"); err != nil {
		t.Fatal(err)
	}
	await(t, sub, "secretsChanged naming api-key", func(ev wire.Event) bool {
		return ev.Type == wire.TypeSecretsChanged && ev.Vault == vault && slices.Contains(ev.Secrets, "api-key")
	})
	testutil.Eventually(t, "several passes by relay-a", 10*time.Second, func() bool { return a.passes.n.Load() >= 3 })
	if n := b.passes.n.Load(); n != 0 {
		t.Errorf("relay-b listed %d times while relay-a held the Lease", n)
	}

	a.lease.Down.Store(true) // relay-a stops renewing (cut off from the API server)
	cut := time.Now()
	testutil.Eventually(t, "relay-b takes over", 10*time.Second, b.el.IsLeader)
	if took := time.Since(cut); took > leaseDuration+time.Second {
		t.Errorf("takeover took %s, want within one lease duration (%s) and a margin", took, leaseDuration)
	}
	testutil.Eventually(t, "relay-a stopped leading", 10*time.Second, func() bool { return !a.el.IsLeader() })
	testutil.Eventually(t, "relay-b lists", 10*time.Second, func() bool { return b.passes.n.Load() > 0 })
	before := a.passes.n.Load()
	testutil.Never(t, "relay-a listing after it lost the Lease", 5*interval, func() bool { return a.passes.n.Load() != before })
	sub.Take() // relay-b's first pass may report the first rotation again (its catch-up)
	if _, err := kv.SetSecret("api-key", "rotated again"); err != nil {
		t.Fatal(err)
	}
	await(t, sub, "secretsChanged from relay-b's own pass", func(ev wire.Event) bool {
		return ev.Type == wire.TypeSecretsChanged && ev.Vault == vault && slices.Contains(ev.Secrets, "api-key")
	})
}

// TestNoHolderMeansPollYourself: while no replica holds a live Lease, a
// replica tells its subscribers to poll their vaults themselves.
func TestNoHolderMeansPollYourself(t *testing.T) {
	c, _, vault := newCluster(t)
	a := c.start("relay-a")
	testutil.Eventually(t, "relay-a leads", 10*time.Second, a.el.IsLeader)
	sub := a.hub.Subscribe(wire.Subscription{Vaults: []string{vault}})
	defer sub.Close()
	await(t, sub, "vaultWatched", func(ev wire.Event) bool { return ev.Type == wire.TypeVaultWatched })
	a.lease.Down.Store(true)
	await(t, sub, "vaultUnwatched saying no replica lists", func(ev wire.Event) bool {
		return ev.Type == wire.TypeVaultUnwatched && ev.Reason == fleet.NoListerReason
	})
	a.lease.Down.Store(false)
	await(t, sub, "vaultWatched again", func(ev wire.Event) bool { return ev.Type == wire.TypeVaultWatched })
}

// TestAStartingReplicaLearnsVaultStatesFromTheHolder: a vault the holder
// already lists is not news to its watcher, so a replica that starts later
// learns that it is watched from the holder's answer to its report, and
// its subscriber may pause its own polling at once; this holds after the
// holder's own subscribers of the vault have left too (the holder still
// lists it for the other replicas).
func TestAStartingReplicaLearnsVaultStatesFromTheHolder(t *testing.T) {
	c, _, vault := newCluster(t)
	a := c.start("relay-a")
	testutil.Eventually(t, "relay-a leads", 10*time.Second, a.el.IsLeader)
	subA := a.hub.Subscribe(wire.Subscription{Vaults: []string{vault}})
	await(t, subA, "vaultWatched at relay-a", func(ev wire.Event) bool { return ev.Type == wire.TypeVaultWatched })

	b := c.start("relay-b")
	testutil.Eventually(t, "relay-b sees relay-a hold the Lease", 10*time.Second, func() bool { return b.el.Holder() == "relay-a" })
	subB := b.hub.Subscribe(wire.Subscription{Vaults: []string{vault}})
	defer subB.Close()
	await(t, subB, "vaultWatched at relay-b, from relay-a's answer", func(ev wire.Event) bool {
		return ev.Type == wire.TypeVaultWatched && ev.Vault == vault
	})

	subA.Close() // relay-a keeps listing the vault for relay-b
	d := c.start("relay-d")
	testutil.Eventually(t, "relay-d sees relay-a hold the Lease", 10*time.Second, func() bool { return d.el.Holder() == "relay-a" })
	subD := d.hub.Subscribe(wire.Subscription{Vaults: []string{vault}})
	defer subD.Close()
	await(t, subD, "vaultWatched at relay-d, from relay-a's answer", func(ev wire.Event) bool {
		return ev.Type == wire.TypeVaultWatched && ev.Vault == vault
	})
}
