package agent

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/fig-injector/fig-injector/injector/source/keyvault"
	"github.com/fig-injector/fig-injector/injector/status"
)

// pollFig keeps Fig's view of the agent current and fetches the settings
// when Fig says they changed, exactly as Fig.Client's status monitor does:
// a status PUT every poll interval (the server's interval wins), five times
// the interval after a network failure, non-2xx replies ignored. A kick (the
// client-secret file changed, a relay wake-up) fetches at once; a check (the
// relay stream is back) sends the status at once.
func (a *Agent) pollFig(ctx context.Context, events chan<- event, kick, check <-chan struct{}) {
	f := a.fig
	// Only a running agent acts on a restart request: the first status
	// (sent by RenderOnce, also an init container's) says it cannot.
	f.supportsRestart = a.restarter != nil
	// Fig.Client sends a status right after its first load, too.
	wait := time.Duration(0)
	failures := 0
	restarting := false // Fig keeps answering restartRequested until a new session reports: act once
	for {
		ok, fetch := a.sleep(ctx, wait, kick, check)
		if !ok {
			return
		}
		restart := false
		if !fetch {
			resp, err := f.status(ctx, f.withAppHealth(ctx, a.health.figHealth()), a.health.figProperties())
			switch {
			case err != nil && ctx.Err() != nil:
				return
			case err != nil && networkFailure(err):
				a.health.failed(status.SourceFig, err)
				wait = mulSat(f.interval, unreachableStretch)
				a.log.Warn("Fig unreachable; polling less often", "error", err.Error(), "retry_in", wait.String())
				continue
			case err != nil:
				a.log.Warn("Fig status failed", "error", err.Error())
				wait = a.draw(func(r *rand.Rand) time.Duration { return a.sched.AfterSuccess(f.interval, r) })
				continue
			}
			a.health.track(status.SourceFig, f.interval) // staleness follows the server's interval
			a.health.succeeded(status.SourceFig)
			// A restart fetches first, so the app restarts into the values
			// that needed it (settings without live update).
			restart = resp.RestartRequested && f.supportsRestart && (!restarting || f.restart.failed.Swap(false))
			restarting = resp.RestartRequested
			// Settings from the offline copy are replaced at the first
			// status that works: Fig.Client's OnReconnectedToApi reloads.
			fetch = resp.SettingUpdateAvailable || failures > 0 || restart || (f.copies != nil && f.copies.inUse)
		}
		if fetch {
			detected := a.opts.Clock.Now()
			entries, err := f.load(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				failures++
				if restart {
					f.restart.failed.Store(true) // restart after a fetch that works
				}
				a.health.failed(status.SourceFig, err)
				ra := retryAfter(err, f.interval)
				wait = a.draw(func(r *rand.Rand) time.Duration {
					return min(a.sched.AfterFailure(failures, ra, r), max(ra, f.interval))
				})
				a.log.Warn("Fig settings fetch failed; keeping the last good values", "error", err.Error(), "retry_in", wait.String())
				continue
			}
			failures = 0
			a.health.succeeded(status.SourceFig)
			send(ctx, events, event{at: detected, kind: figChanged, fig: entries})
		}
		if restart {
			send(ctx, events, event{at: a.opts.Clock.Now(), kind: restartRequested})
		}
		wait = a.draw(func(r *rand.Rand) time.Duration { return a.sched.AfterSuccess(f.interval, r) })
	}
}

func send(ctx context.Context, events chan<- event, ev event) {
	select {
	case events <- ev:
	case <-ctx.Done():
	}
}

// vaultPoller is the run loop's handle on one vault's polling goroutine.
type vaultPoller struct {
	reqs chan keyvault.Request // the latest request; buffer of one
	sent keyvault.Request      // what was last asked for
}

// startVaultPollers starts a poller for every vault that has none yet (a
// Fig value may have started referencing a new vault).
func (a *Agent) startVaultPollers(ctx context.Context, events chan<- event) {
	for _, v := range a.vaults.all() {
		if v.poller != nil {
			continue
		}
		v.poller = &vaultPoller{reqs: make(chan keyvault.Request, 1)}
		if v.snap != nil {
			v.poller.sent = v.snap.Request()
		}
		go a.pollVault(ctx, v, v.snap, v.poller.reqs, events)
	}
}

// requestVaults hands each poller the request the current Fig values imply,
// when it changed.
func (a *Agent) requestVaults() {
	for _, v := range a.vaults.all() {
		p := v.poller
		req := v.request()
		if p == nil || req.Equal(p.sent) {
			continue
		}
		p.sent = req
		select {
		case <-p.reqs: // drop a request not yet taken: this one supersedes it
		default:
		}
		p.reqs <- req
	}
}

// pollVault polls one vault on its jittered interval (SPEC §2.3: the cheaper
// of one list pass or one GET per secret, then GETs of changed secrets
// only), and fetches at once when the run loop sends a new request. It
// starts from last (nil: nothing to poll until a request arrives) and reads
// only v's client, interval and relay link: the run loop owns the rest of v.
//
// With a relay, the vault's interval is stretched while the relay watches it
// (vault.pollInterval), the relay's wake-up polls at once, and a change of
// the relay's word draws the next wait again, so a vault the relay stops
// watching is polled within one interval.
func (a *Agent) pollVault(ctx context.Context, v *vault, last *keyvault.Snapshot, reqs <-chan keyvault.Request, events chan<- event) {
	name := v.healthName()
	a.health.track(name, v.interval)
	wait := a.draw(func(r *rand.Rand) time.Duration { return a.sched.Startup(v.interval, r) })
	failures := 0
	var pending *keyvault.Request
	for {
		timer, stop := a.opts.Clock.Timer(wait)
		select {
		case <-ctx.Done():
			stop()
			return
		case req := <-reqs:
			pending = &req
		case <-v.relay.pollNow:
			if failures > 0 { // a backoff (a Retry-After) stays as it is: its retry sees the change too
				stop()
				continue
			}
		case <-v.relay.resched:
			stop()
			if failures == 0 { // a backoff stays as it is
				watched := v.relay.watched.Load()
				if watched { // back to the short interval after the next success
					a.health.track(name, v.pollInterval())
				}
				wait = a.draw(func(r *rand.Rand) time.Duration { return a.sched.AfterRelayWord(watched, v.interval, r) })
			}
			continue
		case <-timer:
		}
		stop()
		detected := a.opts.Clock.Now()
		var (
			next    keyvault.Snapshot
			changed bool
			err     error
		)
		switch {
		case pending != nil:
			next, err = v.kv.Fetch(ctx, *pending)
			changed = true
		case last != nil:
			next, changed, err = v.kv.Poll(ctx, *last)
		default:
			wait = v.interval // nothing to poll until a request arrives
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			a.health.failed(name, err)
			wait = a.draw(func(r *rand.Rand) time.Duration {
				return a.sched.AfterFailure(failures, retryAfter(err, v.interval), r)
			})
			a.log.Warn("Key Vault poll failed; keeping the last good values", "vault", v.kv.URL(), "error", err.Error(), "retry_in", wait.String())
			continue
		}
		failures = 0
		a.health.track(name, v.pollInterval())
		a.health.succeeded(name)
		last, pending = &next, nil
		if changed {
			send(ctx, events, event{at: detected, kind: vaultChanged, vault: v, snap: next})
		}
		wait = a.draw(func(r *rand.Rand) time.Duration { return a.sched.AfterSuccess(v.pollInterval(), r) })
	}
}
