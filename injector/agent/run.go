package agent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"time"

	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/keyvault"
	"github.com/fig-injector/fig-injector/injector/watch"
)

// event is one thing a poller or the file watcher saw.
type event struct {
	at    time.Time // when the change was detected, for change-to-file latency
	kind  eventKind
	fig   []source.Entry    // figChanged
	vault *vault            // vaultChanged
	snap  keyvault.Snapshot // vaultChanged
	path  string            // fileChanged
}

// eventKind says what an event reports. The zero value is no kind, so an
// event built without one matches no case instead of passing for a Fig
// change.
type eventKind int

const (
	_ eventKind = iota
	figChanged
	vaultChanged
	restartRequested
	fileChanged
)

// Run is sidecar mode: RenderOnce, then keep every output current until ctx
// ends (nil: a graceful stop; a write in flight finishes first, because
// writes happen on this goroutine) or the configuration file changes to a
// new configuration that builds (ErrConfigChanged; Successor is the agent
// built from it).
func (a *Agent) Run(ctx context.Context) error {
	if a.opts.StateDir != "" {
		a.restoreHandover(a.opts.StateDir)
	}
	if err := a.RenderOnce(ctx); err != nil {
		return err
	}
	parent := ctx // a successor is built on it: it outlives this Run
	ctx, cancel := context.WithCancel(ctx)
	notifierDone := a.startNotifier(ctx)
	defer func() { cancel(); <-notifierDone }()
	events := make(chan event, 64)
	w, err := a.watchFiles(ctx, events)
	if err != nil {
		return err
	}
	defer func() { _ = w.Close() }()
	figKick := make(chan struct{}, 1)  // fetch at once
	figCheck := make(chan struct{}, 1) // send a status at once
	if a.fig != nil {
		go a.pollFig(ctx, events, figKick, figCheck)
	}
	a.startVaultPollers(ctx, events)
	if a.cfg.Relay != nil {
		go a.subscribeRelay(ctx, figKick, figCheck)
	}
	if a.fig != nil && a.fig.copies != nil {
		go a.runOffline(ctx, a.fig.copies)
	}
	var (
		retry     <-chan time.Time // armed after a failed write: retry without waiting for a change
		stopRetry = func() bool { return false }
		failures  int
	)
	defer func() { stopRetry() }()
	for {
		var batch []event
		select {
		case <-ctx.Done():
			return nil
		case <-retry:
			batch = []event{{at: a.opts.Clock.Now()}}
		case ev := <-events:
			batch = a.coalesce(ctx, ev, events)
			if err := a.apply(parent, batch, figKick); err != nil {
				return err
			}
			a.startVaultPollers(ctx, events)
			a.requestVaults()
		}
		stopRetry()
		retry = nil
		rendered := a.renderBatch(ctx, batch)
		if a.restarter != nil && slices.ContainsFunc(batch, func(ev event) bool { return ev.kind == restartRequested }) {
			go a.restartApp(ctx) // after the write: the app restarts into Fig's latest values
		}
		if rendered {
			failures = 0
			continue
		}
		failures++
		retry, stopRetry = a.opts.Clock.Timer(a.draw(func(r *rand.Rand) time.Duration { return a.sched.AfterFailure(failures, 0, r) }))
	}
}

// coalesce gathers the events that arrive within the coalescing window after
// the first, so a burst gives one write and one notification.
func (a *Agent) coalesce(ctx context.Context, first event, events <-chan event) []event {
	batch := []event{first}
	window, stop := a.opts.Clock.Timer(a.opts.CoalesceWindow)
	defer stop()
	for {
		select {
		case ev := <-events:
			batch = append(batch, ev)
		case <-window:
			return batch
		case <-ctx.Done():
			return batch
		}
	}
}

// apply folds a batch of events into the last good state.
func (a *Agent) apply(ctx context.Context, batch []event, figKick chan<- struct{}) error {
	for _, ev := range batch {
		switch ev.kind {
		case figChanged:
			if err := a.takeFig(ev.fig); err != nil {
				a.log.Error("Fig values rejected; keeping the last good ones", "error", err.Error())
			}
		case vaultChanged:
			if ev.snap.Request().Equal(ev.vault.request()) { // not an answer to a request since superseded
				ev.vault.snap = &ev.snap
			}
		case fileChanged:
			if err := a.fileChanged(ctx, ev.path, figKick); err != nil {
				return err
			}
		}
	}
	return nil
}

// renderBatch writes the outputs for a batch and records how long the change
// took to reach the file. A render held back for references still being
// fetched is not an error: the vault's answer triggers the next one.
//
// It reports false when the render failed and is worth retrying on a timer
// (a full disk, say); a render held back for references is not.
func (a *Agent) renderBatch(ctx context.Context, batch []event) bool {
	changed, err := a.render(ctx)
	switch {
	case errors.Is(err, errUnresolved) && a.fetchPending():
		a.log.Debug("render waits for Key Vault references to be fetched")
	case err != nil:
		a.log.Error("render failed; the last good file stays", "error", OneLine(err).Error())
		return false
	case changed:
		first := batch[0].at
		for _, ev := range batch {
			if ev.at.Before(first) {
				first = ev.at
			}
		}
		a.opts.Metrics.ObserveChangeToFile(a.opts.Clock.Now().Sub(first))
	}
	return true
}

// fetchPending reports whether some vault's snapshot does not yet answer its
// current request.
func (a *Agent) fetchPending() bool {
	return slices.ContainsFunc(a.vaults.all(), (*vault).pending)
}

// fileChanged reacts to a watched file: the configuration (restart with the
// new one if it is valid), a template (re-read), the client secret (fetch
// from Fig now) or an output (rewritten by the render that follows).
func (a *Agent) fileChanged(ctx context.Context, path string, figKick chan<- struct{}) error {
	if path == a.opts.ConfigPath && a.opts.Reload != nil {
		return a.reload(ctx)
	}
	for _, t := range a.targets {
		if t.out.Template == path {
			if err := t.loadTemplate(); err != nil {
				a.log.Error("template changed but is invalid; keeping the last good one", "output", t.out.Path, "error", err.Error())
			}
		}
	}
	if a.cfg.Fig != nil && a.cfg.Fig.ClientSecret.File == path {
		signal(figKick)
	}
	return nil
}

// reload reads the configuration file once and builds the agent for it
// before anything stops: a configuration that validates but that New
// rejects (an unknown signal, a template that does not parse, an unreadable
// tls.caFile) is logged and the running one is kept, as docs/operations.md
// promises. Only a successor that built returns ErrConfigChanged; the
// caller runs it (Successor) without reading the file again, so what was
// checked is what runs.
func (a *Agent) reload(ctx context.Context) error {
	cfg, err := a.opts.Reload()
	if err != nil {
		a.log.Error("configuration file changed but is invalid; keeping the running configuration", "error", OneLine(err).Error())
		return nil
	}
	if reflect.DeepEqual(cfg, a.cfg) {
		return nil
	}
	opts := a.opts
	opts.Rand = a.childRand() // this agent's pollers still draw from its own source until Run returns
	next, err := New(ctx, cfg, opts)
	if err != nil {
		a.log.Error("configuration file changed but cannot be used; keeping the running configuration", "error", OneLine(err).Error())
		return nil
	}
	a.log.Info("configuration file changed; reloading")
	a.successor = next
	return ErrConfigChanged
}

// Successor is the agent built from the new configuration after Run
// returned ErrConfigChanged (nil before): it is complete and checked, ready
// to Run.
func (a *Agent) Successor() *Agent { return a.successor }

// watchFiles watches the configuration, templates, the client-secret file
// and the outputs, turning changes into events.
func (a *Agent) watchFiles(ctx context.Context, events chan<- event) (*watch.Watcher, error) {
	w, err := watch.New(a.log)
	if err != nil {
		return nil, fmt.Errorf("watch files: %w", err)
	}
	paths := []string{}
	if a.opts.ConfigPath != "" {
		paths = append(paths, a.opts.ConfigPath)
	}
	if a.cfg.Fig != nil && a.cfg.Fig.ClientSecret.File != "" {
		paths = append(paths, a.cfg.Fig.ClientSecret.File)
	}
	for _, t := range a.targets {
		paths = append(paths, t.out.Path)
		if t.out.Template != "" {
			paths = append(paths, t.out.Template)
		}
	}
	for _, p := range paths {
		if err := w.Add(p); err != nil {
			_ = w.Close()
			return nil, fmt.Errorf("watch %s: %w", p, err)
		}
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events():
				if !ok {
					return
				}
				select {
				case events <- event{at: a.opts.Clock.Now(), kind: fileChanged, path: ev.Path}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return w, nil
}
