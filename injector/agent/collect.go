package agent

import (
	"context"
	"errors"
	"reflect"
	"sync"

	"github.com/fig-injector/fig-injector/injector/source"
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
		if err := a.loadFig(ctx); err != nil {
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

// loadFig fetches the Fig settings and finds the Key Vault references in
// them.
func (a *Agent) loadFig(ctx context.Context) error {
	entries, err := a.fig.load(ctx)
	if err != nil {
		a.health.failed(status.SourceFig, err)
		return err
	}
	keys, values := make([]string, len(entries)), make([]string, len(entries))
	for i, e := range entries {
		keys[i], values[i] = e.Key, e.Value.Reveal()
	}
	refs, refused, err := a.vaults.references(keys, values)
	if err != nil {
		var limit *source.Error // a limit's error comes with its own fix
		if !errors.As(err, &limit) {
			err = &source.Error{Source: "fig", Op: "read Key Vault references", Err: err,
				Fix: "write references as @Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<name>) or @Microsoft.KeyVault(VaultName=<vault>;SecretName=<name>)"}
		}
		a.health.failed(status.SourceFig, err)
		return err
	}
	a.state.fig, a.state.refs, a.state.refused, a.state.figLoaded = entries, refs, refused, true
	a.reportRefused(refused)
	a.health.succeeded(status.SourceFig)
	return nil
}

// fetchVaults fetches, in parallel, every vault that has no snapshot for its
// current request.
func (a *Agent) fetchVaults(ctx context.Context) []error {
	type result struct {
		url  string
		req  keyvault.Request
		snap keyvault.Snapshot
		err  error
	}
	var (
		wg      sync.WaitGroup
		results = make(chan result, len(a.vaults.urls()))
	)
	for _, url := range a.vaults.urls() {
		v := a.vaults.get(url)
		req := v.request(a.state.refs[url])
		if _, ok := a.state.snaps[url]; ok && reflect.DeepEqual(a.state.reqs[url], req) {
			continue
		}
		if len(req.Secrets) == 0 && len(req.References) == 0 && req.Prefix == "" {
			continue // a referenced vault no longer referenced
		}
		a.health.track(status.KeyVaultSource(url), v.interval)
		wg.Go(func() {
			snap, err := v.kv.Fetch(ctx, req)
			results <- result{url, req, snap, err}
		})
	}
	wg.Wait()
	close(results)
	var errs []error
	for r := range results {
		a.vaultResult(r.url, r.req, r.snap, r.err)
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	return errs
}

// vaultResult records a vault's Fetch or Poll outcome in state and health.
func (a *Agent) vaultResult(url string, req keyvault.Request, snap keyvault.Snapshot, err error) {
	name := status.KeyVaultSource(url)
	if err != nil {
		a.health.failed(name, err)
		return
	}
	a.state.snaps[url], a.state.reqs[url] = snap, req
	a.health.succeeded(name)
}
