package agent

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/subscribe"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/injector/transport"
)

// RelaySafetyFactor stretches a vault's own poll interval while the relay
// lists it for the whole cluster: the agent still polls it every
// RelaySafetyFactor × keyVaults[].pollInterval, so a wake-up the relay
// missed (a lost stream line, a lagging list pass) is late, never lost.
const RelaySafetyFactor = 10

// relayLink is what the relay's goroutine tells one vault's poller. It is
// created with the vault and never replaced, so both goroutines use it
// without the run loop.
type relayLink struct {
	watched atomic.Bool   // the relay lists the vault and the stream is up
	pollNow chan struct{} // buffer of one: the relay saw a change, poll at once
	resched chan struct{} // buffer of one: watched changed, draw the next wait again
}

func newRelayLink() *relayLink {
	return &relayLink{pollNow: make(chan struct{}, 1), resched: make(chan struct{}, 1)}
}

// setWatched records the relay's word on the vault and, when it changed,
// tells the poller to reschedule: back to its own interval at once when the
// relay stops watching.
func (l *relayLink) setWatched(watched bool) {
	if l.watched.Swap(watched) != watched {
		signal(l.resched)
	}
}

// pollInterval is how long the vault's poller waits after a success.
func (v *vault) pollInterval() time.Duration {
	if v.relay.watched.Load() {
		return v.interval * RelaySafetyFactor
	}
	return v.interval
}

// signal sends on a channel with a buffer of one without blocking: a signal
// already pending says the same.
func signal(c chan<- struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// subscribeRelay keeps the agent subscribed to the relay until ctx ends
// (sidecar mode with relay configured). A settingsChanged wake-up for the
// agent's client kicks the Fig poller into a fetch, as a status reply
// saying settingUpdateAvailable would; a secretsChanged wake-up makes the
// vault's poller poll at once. The Fig status poll never stops (it keeps the
// agent connected in Fig, and Fig does not retry a hook).
//
// On every reconnection figCheck asks for a status poll at once: a hook
// that came while the stream was down reached nobody, and the status says
// whether anything changed meanwhile (one status, not a fetch, so a relay
// restart does not make the whole fleet fetch from Fig at once).
func (a *Agent) subscribeRelay(ctx context.Context, figKick, figCheck chan<- struct{}) {
	r := a.cfg.Relay
	// No overall timeout: the stream lives for hours (the subscriber's
	// heartbeat watchdog ends a dead one). No body limit, for the same
	// reason; the subscriber bounds each line.
	hc, err := transport.New(transport.Options{CAFile: a.cfg.TLS.CAFile, Dial: a.opts.Dial, UserAgent: "fig-injector/" + a.opts.Version, Timeout: -1})
	if err != nil {
		a.log.Error("relay disabled; polling on our own", "error", err.Error())
		return
	}
	sub := a.relaySubscription()
	update := make(chan wire.Subscription)
	go a.followVaults(ctx, sub, update)
	lost := false // a stream was up and went down: OnState runs on this goroutine
	_ = subscribe.Run(ctx, subscribe.Options{
		URL: r.URL, TokenFile: r.TokenFile, Subscription: sub, Update: update, HTTPClient: hc, Log: a.log,
		OnEvent: func(ev wire.Event) { a.relayEvent(ev, figKick) },
		OnState: func(connected bool, err error) {
			if connected {
				a.log.Info("subscribed to the relay", "url", r.URL)
				if lost {
					signal(figCheck)
				}
				return
			}
			lost = true
			for _, v := range a.vaults.all() {
				v.relay.setWatched(false) // on our own polling within one interval
			}
		},
	})
}

// relaySubscription is what the agent asks the relay for: its Fig client
// and every vault registered so far.
func (a *Agent) relaySubscription() wire.Subscription {
	sub := wire.Subscription{}
	if a.cfg.Fig != nil {
		sub.Client, sub.Instance = a.cfg.Fig.ClientName, a.cfg.Fig.Instance
	}
	for _, v := range a.vaults.all() {
		sub.Vaults = append(sub.Vaults, wire.VaultKey(v.kv.URL()))
	}
	return sub
}

// followVaults sends the subscription again whenever a vault joins the set
// (a Key Vault reference in a Fig value names a vault the configuration
// does not), so the relay watches it too, until ctx ends.
func (a *Agent) followVaults(ctx context.Context, last wire.Subscription, update chan<- wire.Subscription) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.vaults.added:
		}
		sub := a.relaySubscription()
		if slices.Equal(sub.Vaults, last.Vaults) {
			continue
		}
		select {
		case update <- sub:
			last = sub
		case <-ctx.Done():
			return
		}
	}
}

// relayEvent acts on one wake-up from the relay.
func (a *Agent) relayEvent(ev wire.Event, figKick chan<- struct{}) {
	switch ev.Type {
	case wire.TypeSettingsChanged:
		if a.fig != nil && strings.EqualFold(ev.Client, a.cfg.Fig.ClientName) {
			signal(figKick)
		}
	case wire.TypeSecretsChanged:
		if v := a.relayVault(ev.Vault); v != nil {
			signal(v.relay.pollNow)
		}
	case wire.TypeVaultWatched, wire.TypeVaultUnwatched:
		if v := a.relayVault(ev.Vault); v != nil {
			v.relay.setWatched(ev.Type == wire.TypeVaultWatched)
		}
	}
}

// relayVault finds the registered vault an event names (nil: none).
func (a *Agent) relayVault(url string) *vault {
	key := wire.VaultKey(url)
	for _, v := range a.vaults.all() {
		if key != "" && wire.VaultKey(v.kv.URL()) == key {
			return v
		}
	}
	return nil
}
