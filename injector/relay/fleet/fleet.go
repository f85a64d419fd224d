// Package fleet makes the relay's replicas list each vault once for the
// whole cluster. The replica holding the relay's Lease (relay/lease) runs
// the Key Vault watcher over the union of every replica's subscribed
// vaults and forwards what it finds to the others; the others list
// nothing. No consensus of its own: the Lease decides who lists, and the
// replicas talk over relay/peers' two routes.
//
//   - Every replica reports its own subscribers' vaults to every peer when
//     they change, when the Lease changes hands, and every interval (a
//     report not refreshed for three intervals is dropped: its replica is
//     gone). Every replica keeps the reports, so a replica that takes the
//     Lease already knows the union.
//   - The holder answers a report with the states it knows of those vaults
//     (watched or not), so a restarted replica's subscribers learn at once
//     whether they may pause their own polling.
//   - The holder forwards each secretsChanged, vaultWatched and
//     vaultUnwatched its passes produce to every peer (not retried: a lost
//     one delays a change to the agents' safety poll, never loses it).
//   - A new holder lists every vault at once and reports as changed the
//     secrets updated since the previous holder may have listed last (one
//     interval and one lease duration before), so a change made during a
//     takeover wakes its readers.
//   - While no replica holds a live Lease, every replica tells its
//     subscribers their vaults are unwatched: they are back on their own
//     polling within one interval.
package fleet

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/kvwatch"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// Watcher lists vaults() every interval and on a receive on wake
// (kvwatch.Watcher).
type Watcher interface {
	Run(ctx context.Context, vaults func() []string, wake <-chan struct{})
}

// Peers reaches the other replicas (peers.Forwarder).
type Peers interface {
	Wake(events ...wire.Event)
	ReportVaults(replica string, vaults []string) []wire.Event
}

// Metrics records whether this replica lists Key Vault for the cluster.
type Metrics interface {
	VaultLeader(leading bool)
}

// Options configure a Coordinator.
type Options struct {
	Self string // this replica's identity: its pod name
	Hub  *hub.Hub
	// Peers is nil for a single replica.
	Peers Peers
	// NewWatcher makes the watcher of one term of leadership, reporting to
	// sink; catchup is kvwatch.Options.Catchup.
	NewWatcher func(sink kvwatch.Sink, catchup time.Duration) Watcher
	// Interval is the vault list interval (the report refresh too).
	Interval time.Duration
	// LeaseDuration is the Lease's; with Interval it sizes the catchup.
	LeaseDuration time.Duration
	Metrics       Metrics // nil: not recorded
	Log           *slog.Logger
}

// reportTTL is how many intervals a peer's report stays without refresh.
const reportTTL = 3

// NoListerReason is what subscribers are told while no replica lists.
const NoListerReason = "no relay replica holds the Key Vault lease right now (takeover in progress or the API server unreachable); poll it yourself"

// Coordinator is one replica's side. Wire LocalVaultsChanged to the hub's
// onVaults, PeerVaults to the server's VaultsPath, and Lead and Observed
// to the elector (or call Lead directly for a single replica).
type Coordinator struct {
	opts    Options
	wake    chan struct{} // the watcher's: the union grew
	changed chan struct{} // the reporter's: report now
	leading atomic.Bool

	mu      sync.Mutex
	reports map[string]report     // replica → its last report
	states  map[string]wire.Event // while leading: each listed vault's state, for reports' answers
}

type report struct {
	vaults  []string
	expires time.Time
}

// New returns a Coordinator.
func New(opts Options) *Coordinator {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Coordinator{opts: opts, wake: make(chan struct{}, 1), changed: make(chan struct{}, 1), reports: map[string]report{},
		states: map[string]wire.Event{}}
}

// LocalVaultsChanged is the hub's onVaults: this replica's subscribers
// read another set of vaults.
func (c *Coordinator) LocalVaultsChanged() {
	signal(c.wake)
	signal(c.changed)
}

// Vaults returns the union of this replica's vaults and the live reports
// of its peers, sorted: what the Lease holder lists.
func (c *Coordinator) Vaults() []string {
	out := c.opts.Hub.Vaults()
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for replica, r := range c.reports {
		if now.After(r.expires) {
			delete(c.reports, replica)
			continue
		}
		out = append(out, r.vaults...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// PeerVaults records a peer's report and answers with the states this
// replica knows of those vaults if it lists them, else nothing.
func (c *Coordinator) PeerVaults(replica string, vaults []string) []wire.Event {
	var keys []string
	for _, v := range vaults {
		if k := wire.VaultKey(v); k != "" {
			keys = append(keys, k)
		}
	}
	before := c.Vaults()
	c.mu.Lock()
	if len(keys) == 0 {
		delete(c.reports, replica)
	} else {
		c.reports[replica] = report{vaults: keys, expires: time.Now().Add(reportTTL * c.opts.Interval)}
	}
	c.mu.Unlock()
	if !c.leading.Load() {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var states []wire.Event
	for _, k := range keys {
		if !slices.Contains(before, k) {
			signal(c.wake) // list the new vault now, not an interval later
		}
		if st, ok := c.states[k]; ok {
			states = append(states, st)
		}
	}
	return states
}

// Lead runs the watcher over the union until ctx ends: the elector's Lead,
// or the whole life of a single replica.
func (c *Coordinator) Lead(ctx context.Context) {
	c.leading.Store(true)
	c.record(true)
	defer func() {
		c.leading.Store(false)
		c.record(false)
	}()
	catchup := time.Duration(0)
	if c.opts.Peers != nil {
		catchup = c.opts.Interval + c.opts.LeaseDuration
	}
	c.mu.Lock()
	clear(c.states) // a new term: its passes say
	c.mu.Unlock()
	w := c.opts.NewWatcher(fanout{c}, catchup)
	signal(c.wake) // list every known vault at once
	w.Run(ctx, c.Vaults, c.wake)
}

// Observed is the elector's Observed: with no live holder this replica's
// subscribers poll on their own; a new holder hears this replica's vaults.
func (c *Coordinator) Observed(holder string) {
	if holder == "" {
		for _, v := range c.opts.Hub.Vaults() {
			c.opts.Hub.VaultUnwatched(v, NoListerReason)
		}
		c.opts.Log.Warn("no replica holds the Key Vault lease; subscribers poll their vaults themselves")
		return
	}
	signal(c.changed)
}

// Report sends this replica's vaults to its peers on every change and
// every interval until ctx ends, and applies the states the holder
// answers with.
func (c *Coordinator) Report(ctx context.Context) {
	t := time.NewTicker(c.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.changed:
		}
		states := c.opts.Peers.ReportVaults(c.opts.Self, c.opts.Hub.Vaults())
		if c.leading.Load() {
			continue // this replica's own passes are the truth
		}
		for _, ev := range states {
			c.opts.Hub.Apply(ev)
		}
	}
}

func (c *Coordinator) record(leading bool) {
	if c.opts.Metrics != nil {
		c.opts.Metrics.VaultLeader(leading)
	}
}

// fanout is the holder's kvwatch.Sink: its own subscribers, then the
// peers'; vault states are also kept for the answers to reports (the hub
// keeps them only while a subscriber of this replica reads the vault).
type fanout struct{ c *Coordinator }

func (f fanout) SecretsChanged(vault string, names []string) int {
	n := f.c.opts.Hub.SecretsChanged(vault, names)
	f.forward(wire.Event{Type: wire.TypeSecretsChanged, Vault: vault, Secrets: names})
	return n
}

func (f fanout) VaultWatched(vault, interval string) {
	f.c.opts.Hub.VaultWatched(vault, interval)
	f.state(wire.Event{Type: wire.TypeVaultWatched, Vault: vault, Interval: interval})
}

func (f fanout) VaultUnwatched(vault, reason string) {
	f.c.opts.Hub.VaultUnwatched(vault, reason)
	f.state(wire.Event{Type: wire.TypeVaultUnwatched, Vault: vault, Reason: reason})
}

func (f fanout) state(ev wire.Event) {
	f.c.mu.Lock()
	f.c.states[ev.Vault] = ev
	f.c.mu.Unlock()
	f.forward(ev)
}

func (f fanout) forward(ev wire.Event) {
	if f.c.opts.Peers != nil {
		f.c.opts.Peers.Wake(ev)
	}
}

func signal(c chan<- struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
