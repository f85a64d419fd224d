package dev

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
)

// emulators are the running servers a plan is applied to.
type emulators struct {
	fig    *figapi.Server
	entra  *entra.Server
	vaults map[string]*keyvault.Server // by lower-case vault name
	log    *slog.Logger
}

// fixed checks what cannot change while dev runs: the vault names (each has
// its own listener) and, with vaults, the tenant (each vault's challenge
// names it).
func fixed(prev, next *plan) error {
	var errs []error
	if len(prev.vaults) > 0 && !strings.EqualFold(prev.tenant, next.tenant) {
		errs = append(errs, &FieldError{Path: "tenantId", Problem: fmt.Sprintf("changed from %q to %q while dev runs", prev.tenant, next.tenant),
			Fix: "put the old value back, or restart fig-injector dev to change the tenant"})
	}
	have, want := vaultNames(prev), vaultNames(next)
	for _, n := range want {
		if !slices.Contains(have, n) {
			errs = append(errs, &FieldError{Path: "keyVaults", Problem: fmt.Sprintf("adds vault %q while dev runs", n),
				Fix: "restart fig-injector dev to add a vault (each vault gets its own listener at start)"})
		}
	}
	for _, n := range have {
		if !slices.Contains(want, n) {
			errs = append(errs, &FieldError{Path: "keyVaults", Problem: fmt.Sprintf("removes vault %q while dev runs", n),
				Fix: "keep the vault (an empty secrets list is fine), or restart fig-injector dev"})
		}
	}
	return errors.Join(errs...)
}

func vaultNames(p *plan) []string {
	out := make([]string, len(p.vaults))
	for i, v := range p.vaults {
		out[i] = strings.ToLower(v.name)
	}
	return out
}

// apply brings the emulators from prev (nil at start) to next. Fig clients
// are upserted (the emulator stamps only settings whose value changed) and
// clients prev declared but next does not are deleted; a secret gets a new
// version only when its value or attributes changed or it is missing, and
// secrets prev declared but next does not are deleted; identities are
// replaced at once. Items prev did not declare (added by a test through the
// Go methods, or registered by an agent) are left alone.
func (e *emulators) apply(prev, next *plan) error {
	var errs []error
	if len(next.hooks) > 0 || (prev != nil && len(prev.hooks) > 0) { // else leave Options.FigOptions' alone
		if err := e.fig.SetWebHooks(next.hooks); err != nil {
			errs = append(errs, err)
		}
	}
	for _, cs := range next.clients {
		if err := e.fig.Seed(cs); err != nil {
			errs = append(errs, fmt.Errorf("seed fig client %q: %w", cs.Name, err))
		}
	}
	if prev != nil {
		for _, old := range prev.clients {
			if !slices.ContainsFunc(next.clients, func(c figapi.ClientSeed) bool { return c.Name == old.Name && c.Instance == old.Instance }) {
				if err := e.fig.DeleteClient(old.Name, old.Instance); err != nil && !errors.Is(err, figapi.ErrNotFound) {
					errs = append(errs, fmt.Errorf("delete fig client %q: %w", old.Name, err))
				}
				e.log.Info("fig client removed", "client", old.Name, "instance", old.Instance)
			}
		}
	}
	for _, vp := range next.vaults {
		errs = append(errs, e.applyVault(prev.vault(vp.name), vp))
	}
	if err := e.entra.SetFederatedCredentials(next.creds); err != nil {
		errs = append(errs, fmt.Errorf("set federated credentials: %w", err))
	}
	return errors.Join(errs...)
}

// vault returns the plan of a vault by name; nil on a nil plan or when the
// plan has no such vault.
func (p *plan) vault(name string) *vaultPlan {
	if p == nil {
		return nil
	}
	for i := range p.vaults {
		if strings.EqualFold(p.vaults[i].name, name) {
			return &p.vaults[i]
		}
	}
	return nil
}

// secret returns the plan of a secret by name (case-insensitive, as Key
// Vault compares names).
func (v *vaultPlan) secret(name string) (secretPlan, bool) {
	if v == nil {
		return secretPlan{}, false
	}
	for _, s := range v.secrets {
		if strings.EqualFold(s.name, name) {
			return s, true
		}
	}
	return secretPlan{}, false
}

// applyVault brings one vault from prev (nil when new) to next.
func (e *emulators) applyVault(prev *vaultPlan, next vaultPlan) error {
	kv := e.vaults[strings.ToLower(next.name)]
	var errs []error
	for _, sp := range next.secrets {
		kv.DenySecret(sp.name, sp.forbidden)
		old, had := prev.secret(sp.name)
		if had && old.equal(sp) && kv.Versions(sp.name) != nil {
			continue
		}
		ver, err := kv.SetSecret(sp.name, sp.value, sp.options()...)
		if err != nil {
			errs = append(errs, fmt.Errorf("set secret %q in vault %s: %w", sp.name, next.name, err))
			continue
		}
		if prev != nil { // at start every secret is new; say nothing per secret
			e.log.Info("key vault secret version created", "vault", next.name, "secret", sp.name, "version", ver)
		}
	}
	if prev != nil {
		for _, old := range prev.secrets {
			if _, keep := next.secret(old.name); keep {
				continue
			}
			kv.DenySecret(old.name, false)
			if err := kv.Delete(old.name); err != nil && !errors.Is(err, keyvault.ErrNotFound) {
				errs = append(errs, fmt.Errorf("delete secret %q from vault %s: %w", old.name, next.name, err))
				continue
			}
			e.log.Info("key vault secret deleted", "vault", next.name, "secret", old.name)
		}
	}
	return errors.Join(errs...)
}
