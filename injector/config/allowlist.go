package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fig-injector/fig-injector/injector/allowlist"
)

// The environment variables in which the webhook hands the chart's
// allowlists to the agent (injector/inject sets them under the same names).
// They are read by Complete, not ApplyEnv: they fill no field of the file.
const (
	// AllowedFigAPIURIsEnv lists, comma-separated, the URL prefixes of the Fig
	// APIs the agent may use.
	AllowedFigAPIURIsEnv = "FIG_INJECTOR_ALLOWED_FIG_API_URIS"
	// AllowedKeyVaultSuffixesEnv lists, comma-separated, the DNS suffixes of
	// the vaults the agent may read.
	AllowedKeyVaultSuffixesEnv = "FIG_INJECTOR_ALLOWED_KEY_VAULT_SUFFIXES"
	// AllowlistNone is the value of an empty list: nothing of that kind is
	// allowed. An unset (or empty) variable restricts nothing.
	AllowlistNone = "none"
)

// Allowlist is what the cluster allows this agent, as the webhook handed it
// over in AllowedFigAPIURIsEnv and AllowedKeyVaultSuffixesEnv. The webhook
// checked the configuration against the same lists at admission; the agent
// checks again what can change afterwards: a configuration file from a
// ConfigMap (at load and on every reload) and every Key Vault reference in
// a Fig value (before any request is sent to its vault).
//
// A nil *Allowlist restricts nothing: an agent that the webhook did not
// inject (run by hand, `fig-injector dev`) has no allowlists.
type Allowlist struct {
	// List holds the entries, with http and IP literals accepted where an
	// entry uses them (allowlist.FromEntries).
	List allowlist.List
	// AnyFigURI and AnyKeyVault are set when the variable of that kind is
	// unset: that kind is not restricted.
	AnyFigURI, AnyKeyVault bool
}

// CheckFigURI reports why a Fig API URI is not allowed, or nil.
func (a *Allowlist) CheckFigURI(raw string) error {
	if a == nil || a.AnyFigURI {
		return nil
	}
	return a.List.CheckFigURI(raw)
}

// CheckKeyVaultURL reports why a vault URL is not allowed, or nil.
func (a *Allowlist) CheckKeyVaultURL(raw string) error {
	if a == nil || a.AnyKeyVault {
		return nil
	}
	return a.List.CheckKeyVaultURL(raw)
}

// CheckKeyVaultSecretURI reports why a secret URI is not allowed, or nil.
func (a *Allowlist) CheckKeyVaultSecretURI(raw string) error {
	if a == nil || a.AnyKeyVault {
		return nil
	}
	return a.List.CheckKeyVaultSecretURI(raw)
}

// Fixes of allowlist refusals, shared with the agent's messages.
const (
	FigAllowlistFix = "use an allowed Fig API URI, or ask the cluster admin to add it to the chart's allowlists.figUris (the webhook hands the list to the agent in " +
		AllowedFigAPIURIsEnv + ")"
	KeyVaultAllowlistFix = "use a vault under an allowed Key Vault DNS suffix, or ask the cluster admin to add the suffix to the chart's allowlists.keyVaultSuffixes (the webhook hands the list to the agent in " +
		AllowedKeyVaultSuffixesEnv + ")"
)

// allowlistFromEnv reads the two variables. It returns nil when neither is
// set, and an error per malformed entry: the agent then refuses to start
// rather than guess what the webhook meant.
func allowlistFromEnv(getenv func(string) string) (*Allowlist, []error) {
	figRaw := strings.TrimSpace(getenv(AllowedFigAPIURIsEnv))
	kvRaw := strings.TrimSpace(getenv(AllowedKeyVaultSuffixesEnv))
	if figRaw == "" && kvRaw == "" {
		return nil, nil
	}
	var errs []error
	bad := func(name, entry string, err error, fix string) {
		errs = append(errs, &FieldError{Path: name, Problem: fmt.Sprintf("entry %q %v", entry, err), Fix: fix})
	}
	figs := entries(figRaw)
	for _, e := range figs {
		if err := allowlist.CheckURL(e, true, true); err != nil {
			bad(AllowedFigAPIURIsEnv, e, err, `list Fig API URL prefixes such as https://fig-api.fig.svc:8080, comma-separated, or "`+AllowlistNone+`" (the webhook sets it from the chart's allowlists)`)
		}
	}
	suffixes := entries(kvRaw)
	for _, e := range suffixes {
		if err := allowlist.CheckSuffix(e, true); err != nil {
			bad(AllowedKeyVaultSuffixesEnv, e, err, `list DNS suffixes such as vault.azure.net, comma-separated, or "`+AllowlistNone+`" (the webhook sets it from the chart's allowlists)`)
		}
	}
	return &Allowlist{List: allowlist.FromEntries(figs, suffixes), AnyFigURI: figRaw == "", AnyKeyVault: kvRaw == ""}, errs
}

// entries splits a comma-separated list; AllowlistNone is the empty list.
func entries(raw string) []string {
	if raw == AllowlistNone {
		return []string{}
	}
	return SplitURIs(raw)
}

// CheckAllowlist checks every URI of the configuration (fig.apiUri,
// fig.clientSecret.keyVault, keyVaults[].url) against c.Allowlist, as
// Validate does; the agent calls it again when it is built, so a
// configuration that did not come through Complete is held to the same
// lists. The error joins one *FieldError per URI refused.
func (c *Config) CheckAllowlist() error {
	v := &validator{}
	v.allowlist(c)
	return errors.Join(v.errs...)
}

// allowlist checks every URI of the configuration against c.Allowlist.
func (v *validator) allowlist(c *Config) {
	a := c.Allowlist
	if a == nil {
		return
	}
	refuse := func(path, uri string, err error, fix string) {
		v.add(path, fmt.Sprintf("%q is not allowed in this cluster: it %v", uri, err), fix)
	}
	if f := c.Fig; f != nil {
		for _, u := range SplitURIs(f.APIURI) {
			if err := a.CheckFigURI(u); err != nil {
				refuse("fig.apiUri", u, err, FigAllowlistFix)
			}
		}
		if kv := f.ClientSecret.KeyVault; kv != "" {
			if err := a.CheckKeyVaultSecretURI(kv); err != nil {
				refuse("fig.clientSecret.keyVault", kv, err, KeyVaultAllowlistFix)
			}
		}
	}
	for i, kv := range c.KeyVaults {
		if err := a.CheckKeyVaultURL(kv.URL); err != nil {
			refuse(fmt.Sprintf("keyVaults[%d].url", i), kv.URL, err, KeyVaultAllowlistFix)
		}
	}
}
