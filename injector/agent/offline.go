package agent

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/relay/subscribe"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/fig"
	"github.com/fig-injector/fig-injector/injector/source/fig/offline"
	"github.com/fig-injector/fig-injector/injector/status"
	"github.com/fig-injector/fig-injector/injector/transport"
)

// offlineCopies is Fig.Client's offline settings the Kubernetes way
// (issue 14). Fig.Client keeps an encrypted file on the machine and starts
// from it when Fig is down (FigConfigurationProvider.LoadAsync,
// OfflineSettingsManager); a new pod has no such file, so the agent keeps
// the copy at the relay instead, encrypted exactly as Fig.Client encrypts
// its file (injector/source/fig/offline): the relay holds ciphertext only.
//
//   - After a fetch whose settings changed, the copy is queued for upload
//     (only Fig settings: Key Vault secrets are never part of it); also
//     after a status a day (wire.OfflineRefresh) after the last, so the
//     relay, which deletes copies not uploaded for its retention, keeps
//     those of clients with a running pod.
//   - At start, when the first fetch fails with no answer, a timeout or a
//     5xx, the agent reads the copy, decrypts it with its client secret
//     and renders from it (FigSettingLoadType Offline); the next fetch that
//     works replaces it, a full reload as on Fig.Client's reconnection.
//   - When Fig's status says AllowOfflineSettings false, the copy is
//     deleted, as Fig.Client deletes its file; one that does not decrypt
//     (the secret was rotated) is deleted too.
//
// Offline use needs both the agent's fig.allowOfflineSettings and Fig's
// last known AllowOfflineSettings, as Fig.Client's does.
type offlineCopies struct {
	relay   *subscribe.Offline
	secret  secretFunc
	log     *slog.Logger
	metrics *status.Metrics

	// Owned by the Fig conversation's goroutine (RenderOnce, then pollFig).
	serverAllows bool          // Fig's last AllowOfflineSettings; true until it says otherwise, as SettingStatusMonitor starts
	lastSum      [32]byte      // the settings of the last copy queued
	last         *offline.Copy // the last copy queued (PersistedUtc: when), queued again when Fig allows copies again
	inUse        bool          // the Fig values are the copy's; the next fetch replaces them

	mu      sync.Mutex
	pending *offlineOp    // the newest operation not yet sent; a newer one replaces it
	ready   chan struct{} // buffer of one: pending is set
	off     atomic.Bool   // the relay keeps no copies (501): stop asking
}

// offlineOp is an upload of copy, or with copy nil, a delete.
type offlineOp struct{ copy *offline.Copy }

// offlineRequestTimeout bounds one request to the relay: a slow relay must
// not hold a starting pod back longer than Fig would.
const offlineRequestTimeout = 10 * time.Second

// newOfflineCopies returns nil unless the agent is subscribed to a relay
// and fig.allowOfflineSettings is not false.
func (a *Agent) newOfflineCopies(c *config.Fig, secret secretFunc) (*offlineCopies, error) {
	if a.cfg.Relay == nil || !c.OfflineAllowed() {
		return nil, nil
	}
	hc, err := transport.New(transport.Options{CAFile: a.cfg.TLS.CAFile, Dial: a.opts.Dial,
		UserAgent: "fig-injector/" + a.opts.Version, Timeout: offlineRequestTimeout})
	if err != nil {
		return nil, err
	}
	return &offlineCopies{
		relay: &subscribe.Offline{URL: a.cfg.Relay.URL, TokenFile: a.cfg.Relay.TokenFile,
			Client: c.ClientName, Instance: c.Instance, HTTPClient: hc},
		secret: secret, log: a.log, metrics: a.opts.Metrics, serverAllows: true, ready: make(chan struct{}, 1),
	}, nil
}

// enabled is what the status reports as OfflineSettingsEnabled.
func (o *offlineCopies) enabled() bool { return o != nil && o.serverAllows && !o.off.Load() }

// fetched takes the settings of a successful fetch: a copy is queued when
// they changed since the last one, and settings read from the copy at
// start are replaced from now on.
func (o *offlineCopies) fetched(settings []fig.Setting, at time.Time) {
	if o == nil {
		return
	}
	if o.inUse {
		o.inUse = false
		o.metrics.SetFigOffline(false)
		o.log.Info("Fig answers again; the settings from the offline copy are replaced by Fig's")
	}
	c := &offline.Copy{PersistedUtc: at, Settings: settings}
	sum := sha256.Sum256(offline.Marshal(offline.Copy{Settings: settings})) // without the time: settings only
	if sum == o.lastSum {
		return
	}
	o.lastSum, o.last = sum, c
	if o.serverAllows {
		o.queue(offlineOp{copy: c})
	}
}

// serverSaid takes a status reply's AllowOfflineSettings, received at at.
// Turning false deletes the copy (Fig.Client's OnOfflineSettingsDisabled);
// turning true again uploads the last settings. Otherwise, once a day
// (wire.OfflineRefresh) the last settings are uploaded again although they
// did not change, stamped with at (Fig has just said they are current), so
// the relay, which deletes copies not uploaded for its retention, keeps
// the copy of a client whose pods run.
func (o *offlineCopies) serverSaid(allow bool, at time.Time) {
	if o == nil {
		return
	}
	if allow != o.serverAllows {
		o.serverAllows = allow
		switch {
		case !allow:
			o.log.Info("Fig does not allow offline settings for this client; deleting its offline copy at the relay")
			o.queue(offlineOp{})
		case o.last != nil:
			o.queue(offlineOp{copy: o.last})
		}
		return
	}
	if allow && o.last != nil && at.Sub(o.last.PersistedUtc) >= wire.OfflineRefresh {
		o.last = &offline.Copy{PersistedUtc: at, Settings: o.last.Settings}
		o.queue(offlineOp{copy: o.last})
	}
}

// queue makes op the next operation to send, replacing one not yet sent.
func (o *offlineCopies) queue(op offlineOp) {
	if o.off.Load() {
		return
	}
	o.mu.Lock()
	o.pending = &op
	o.mu.Unlock()
	signal(o.ready)
}

// requeue puts a failed op back unless a newer one arrived meanwhile.
func (o *offlineCopies) requeue(op offlineOp) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pending == nil {
		o.pending = &op
	}
}

func (o *offlineCopies) take() *offlineOp {
	o.mu.Lock()
	defer o.mu.Unlock()
	op := o.pending
	o.pending = nil
	return op
}

// runOffline sends the queued uploads and deletes until ctx ends, newest
// first, retrying a failure with backoff. It runs on its own goroutine so
// that neither the Fig poll nor the render waits for the relay.
func (a *Agent) runOffline(ctx context.Context, o *offlineCopies) {
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.ready:
		}
		op := o.take()
		if op == nil {
			continue
		}
		err := o.send(ctx, *op)
		var refused *subscribe.RefusedError
		switch {
		case err == nil:
			failures = 0
			continue
		case ctx.Err() != nil:
			return
		case errors.As(err, &refused) && refused.Status == http.StatusNotImplemented:
			o.off.Store(true)
			o.log.Info("the relay keeps no offline copies; this pod will start only with Fig up", "reason", refused.Reason)
			return
		case errors.As(err, &refused) && refused.Status < 500:
			o.log.Warn("the relay refused the offline copy; retrying does not help", "error", err.Error())
			continue
		}
		failures++
		o.requeue(*op)
		wait := a.draw(func(r *rand.Rand) time.Duration { return a.sched.AfterFailure(failures, 0, r) })
		o.log.Warn("offline copy not sent to the relay; retrying", "error", err.Error(), "retry_in", wait.String())
		if ok, _ := a.sleep(ctx, wait, nil, nil); !ok {
			return
		}
		signal(o.ready)
	}
}

// send performs one operation; an upload is sealed here, with the client
// secret as it is now.
func (o *offlineCopies) send(ctx context.Context, op offlineOp) error {
	if op.copy == nil {
		return o.relay.Delete(ctx)
	}
	s, err := o.secret(ctx)
	if err != nil {
		return err
	}
	sealed, err := offline.Seal(s.Reveal(), *op.copy)
	if err != nil {
		return err
	}
	if err := o.relay.Put(ctx, sealed); err != nil {
		return err
	}
	o.log.Debug("offline copy uploaded to the relay", "settings", len(op.copy.Settings))
	return nil
}

// startFromOfflineCopy is RenderOnce's fallback when the first fetch failed
// with fetchErr: if Fig is unreachable (no answer, a timeout, a 5xx) and
// offline settings are allowed, it reads the copy at the relay, decrypts
// it and takes its settings as the Fig values. It reports whether it did.
func (a *Agent) startFromOfflineCopy(ctx context.Context, fetchErr error) bool {
	o := a.fig.copies
	if o == nil || !o.enabled() || !unreachable(fetchErr) {
		return false
	}
	c, err := o.read(ctx)
	if err != nil {
		a.log.Warn("Fig unreachable at start and no offline copy to start from", "reason", err.Error())
		return false
	}
	at := a.opts.Clock.Now().UTC()
	if err := a.takeFig(a.fig.mapSettings(a.fig.keepSecrets(c.Settings), at, true)); err != nil {
		a.log.Warn("offline copy not usable", "error", err.Error())
		return false
	}
	o.inUse = true
	a.opts.Metrics.SetFigOffline(true)
	a.log.Warn("Fig unreachable at start; rendering from the relay's offline copy (FigSettingLoadType Offline) until Fig answers",
		"persisted", c.PersistedUtc.Format(time.RFC3339), "minutes_ago", int(at.Sub(c.PersistedUtc).Minutes()), "settings", len(c.Settings))
	return true
}

// read gets and decrypts the copy. One that does not decrypt is deleted,
// as OfflineSettingsManager.Get deletes the file.
func (o *offlineCopies) read(ctx context.Context) (offline.Copy, error) {
	sealed, err := o.relay.Get(ctx)
	if err != nil {
		return offline.Copy{}, err
	}
	s, err := o.secret(ctx)
	if err != nil {
		return offline.Copy{}, err
	}
	c, err := offline.Open(s.Reveal(), sealed)
	if errors.Is(err, offline.ErrDecrypt) {
		o.log.Warn("the relay's offline copy does not decrypt with this client secret (was it rotated?); deleting it")
		if derr := o.relay.Delete(ctx); derr != nil {
			o.log.Warn("deleting the offline copy failed", "error", derr.Error())
		}
	}
	return c, err
}

// unreachable reports whether a fetch failed because Fig did not answer
// usably: no response, a timeout, or a 5xx. Fig.Client falls back on any
// HttpRequestException or TaskCanceledException
// (FigConfigurationProvider.IsOfflineFallbackException); a 4xx here is
// rather a wrong secret or client, which an old copy would only hide.
func unreachable(err error) bool {
	var se *source.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.StatusCode == 0 || se.StatusCode >= 500
}
