package agent

import (
	"errors"

	"github.com/fig-injector/fig-injector/injector/source"
)

// state is the agent's last good Fig values and what it has already
// reported; each vault's last good values are its own (vault). Only the
// goroutine running RenderOnce or Run touches it.
type state struct {
	fig       []source.Entry
	figLoaded bool
	refused   []refusal       // references in Fig values to vaults outside the allowlist
	conflicts map[string]bool // keys already reported as conflicting
	problems  map[string]bool // output problems already reported
	rendered  bool
}

// takeFig makes entries the last good Fig values: it finds the Key Vault
// references in them and hands each vault the ones to it (registering
// vaults that only references name). A malformed reference, or more than
// the agent's limit, is an error with its fix, and the last good values
// stay. It is the one way Fig values enter the state: from a fetch, a poll
// or an init container's handover.
func (a *Agent) takeFig(entries []source.Entry) error {
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
		return err
	}
	for _, v := range a.vaults.all() {
		v.refs = refs[v.kv.URL()]
	}
	a.state.fig, a.state.refused, a.state.figLoaded = entries, refused, true
	a.reportRefused(refused)
	return nil
}

// forgetAll drops every last good value (a handover that cannot be used):
// the agent starts as if it had fetched nothing.
func (a *Agent) forgetAll() {
	a.state.fig, a.state.refused, a.state.figLoaded = nil, nil, false
	for _, v := range a.vaults.all() {
		v.refs, v.snap = nil, nil
	}
}
