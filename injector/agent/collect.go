package agent

import (
	"context"
	"errors"
	"sync"

	"github.com/fig-injector/fig-injector/injector/source/keyvault"
	"github.com/fig-injector/fig-injector/injector/status"
)

// collect loads every source that has no good value yet, and every vault
// whose request changed (a Fig value started referencing one of its
// secrets). Sources that succeed keep their values even when others fail;
// the errors are joined.
func (a *Agent) collect(ctx context.Context, started *bool) error {
	var errs []error
	if a.fig != nil && !a.state.figLoaded {
		if !*started {
			a.startFig(ctx)
			*started = true
		}
		if err := a.loadFig(ctx); err != nil && !a.startFromOfflineCopy(ctx, err) {
			errs = append(errs, err)
		}
	}
	if a.fig == nil || a.state.figLoaded {
		errs = append(errs, a.fetchVaults(ctx)...)
	}
	return errors.Join(errs...)
}

// startFig does what Fig.Client does before its first fetch: register (when
// the agent has a declaration) and send a first status. Failures here are
// logged, as Fig.Client logs them: the fetch decides.
func (a *Agent) startFig(ctx context.Context) {
	if err := a.fig.register(ctx); err != nil {
		a.log.Warn("registration with Fig failed", "error", err.Error())
	}
	if _, err := a.fig.status(ctx, a.health.figHealth(), nil); err != nil {
		a.log.Warn("first Fig status failed", "error", err.Error())
	}
}

// loadFig fetches the Fig settings and takes them as the last good values.
func (a *Agent) loadFig(ctx context.Context) error {
	entries, err := a.fig.load(ctx)
	if err == nil {
		err = a.takeFig(entries)
	}
	if err != nil {
		a.health.failed(status.SourceFig, err)
		return err
	}
	a.health.succeeded(status.SourceFig)
	return nil
}

// fetchVaults fetches, in parallel, every vault whose last good snapshot
// does not answer its current request.
func (a *Agent) fetchVaults(ctx context.Context) []error {
	type result struct {
		v    *vault
		snap keyvault.Snapshot
		err  error
	}
	var (
		wg      sync.WaitGroup
		vaults  = a.vaults.all()
		results = make(chan result, len(vaults))
	)
	for _, v := range vaults {
		req := v.request()
		if !v.pending() || req.IsEmpty() {
			continue // current, or a referenced vault no longer referenced
		}
		a.health.track(v.healthName(), v.interval)
		wg.Go(func() {
			snap, err := v.kv.Fetch(ctx, req)
			results <- result{v, snap, err}
		})
	}
	wg.Wait()
	close(results)
	var errs []error
	for r := range results {
		if r.err != nil {
			a.health.failed(r.v.healthName(), r.err)
			errs = append(errs, r.err)
			continue
		}
		r.v.snap = &r.snap
		a.health.succeeded(r.v.healthName())
	}
	return errs
}
