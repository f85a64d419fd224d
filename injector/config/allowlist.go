package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/fig-injector/fig-injector/injector/allowlist"
)

// The environment variables in which the webhook hands the chart's
// allowlists, and what its ClusterRules compare against, to the agent
// (injector/inject sets them under the same names). They are read by
// Complete, not ApplyEnv: they fill no field of the file.
const (
	// AllowedFigAPIURIsEnv lists, comma-separated, the URL prefixes of the Fig
	// APIs the agent may use.
	AllowedFigAPIURIsEnv = "FIG_INJECTOR_ALLOWED_FIG_API_URIS"
	// AllowedKeyVaultSuffixesEnv lists, comma-separated, the DNS suffixes of
	// the vaults the agent may read.
	AllowedKeyVaultSuffixesEnv = "FIG_INJECTOR_ALLOWED_KEY_VAULT_SUFFIXES"
	// AllowedAzureAuthorityHostEnv is the only azure.authorityHost the file
	// may name (the chart's azureAuthorityHost), ClusterRules.AuthorityHost.
	AllowedAzureAuthorityHostEnv = "FIG_INJECTOR_ALLOWED_AZURE_AUTHORITY_HOST"
	// AllowDisableChallengeResourceVerificationEnv is "true" when the file
	// may set azure.disableChallengeResourceVerification (the chart allows
	// it), "false" when it may not.
	AllowDisableChallengeResourceVerificationEnv = "FIG_INJECTOR_ALLOW_DISABLE_CHALLENGE_RESOURCE_VERIFICATION"
	// AllowedOutputDirEnv is the directory every output must stay in or
	// below: the shared volume's mount path, ClusterRules.OutputDir.
	AllowedOutputDirEnv = "FIG_INJECTOR_ALLOWED_OUTPUT_DIR"
	// ConfineFilesEnv hands over the agent's private mount paths, which
	// every file the configuration reads must stay in (ClusterRules.Files):
	// {"clientSecret": <dir>, "config": <dir>, "template": <dir>, "ca": <dir>}.
	ConfineFilesEnv = "FIG_INJECTOR_CONFINE_FILES"
	// AllowedRelayURLEnv is the cluster's relay URL, the only relay.url the
	// file may name while ConfineFilesEnv is set (ClusterRules.RelayURL);
	// unset when the cluster runs no relay.
	AllowedRelayURLEnv = "FIG_INJECTOR_ALLOWED_RELAY_URL"
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
	// Rules are the admission's other rules, from the variables that hand
	// over what they compare against (a rule whose variable is unset
	// restricts nothing). LoopbackNotify compares against nothing, so it
	// holds whenever any of the variables is set: every webhook that sets
	// them requires notify.http.url on the pod's loopback.
	Rules ClusterRules
	// envAuthorityHost is AZURE_AUTHORITY_HOST, which ApplyEnv copies into
	// azure.authorityHost when the file names none. It is checked like the
	// file's (it came from the pod's spec, which the pod's author writes);
	// it only changes the refusal's wording, which names the variable.
	envAuthorityHost string
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

// allowlistFromEnv reads the variables. It returns nil when none is set,
// and an error per malformed entry or value: the agent then refuses to
// start rather than guess what the webhook meant.
func allowlistFromEnv(getenv func(string) string) (*Allowlist, []error) {
	figRaw := strings.TrimSpace(getenv(AllowedFigAPIURIsEnv))
	kvRaw := strings.TrimSpace(getenv(AllowedKeyVaultSuffixesEnv))
	authority := strings.TrimSpace(getenv(AllowedAzureAuthorityHostEnv))
	challenge := strings.TrimSpace(getenv(AllowDisableChallengeResourceVerificationEnv))
	outDir := strings.TrimSpace(getenv(AllowedOutputDirEnv))
	confine := strings.TrimSpace(getenv(ConfineFilesEnv))
	if figRaw == "" && kvRaw == "" && authority == "" && challenge == "" && outDir == "" && confine == "" {
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
	rules := ClusterRules{AuthorityHost: authority, LoopbackNotify: true, OutputDir: outDir,
		TokenFile: strings.TrimSpace(getenv("AZURE_FEDERATED_TOKEN_FILE")), RelayURL: strings.TrimSpace(getenv(AllowedRelayURLEnv))}
	const setByWebhook = " (the webhook sets it from the chart's settings)"
	if u, err := url.Parse(authority); authority != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
		errs = append(errs, &FieldError{Path: AllowedAzureAuthorityHostEnv, Problem: fmt.Sprintf("%q is not an https URL", authority),
			Fix: "set the cluster's authority host, e.g. https://login.microsoftonline.com/" + setByWebhook})
	}
	if confine != "" {
		files, err := ParseFileDirs(confine)
		if err != nil {
			errs = append(errs, &FieldError{Path: ConfineFilesEnv, Problem: fmt.Sprintf("%q %v", confine, err),
				Fix: `set {"clientSecret": <dir>, "config": <dir>, "template": <dir>, "ca": <dir>}` + setByWebhook})
		}
		rules.Files = files
	}
	if challenge != "" {
		allowed, err := strconv.ParseBool(challenge)
		if err != nil {
			errs = append(errs, &FieldError{Path: AllowDisableChallengeResourceVerificationEnv, Problem: fmt.Sprintf("%q is not true or false", challenge),
				Fix: `set "true" or "false"` + setByWebhook})
		}
		rules.KeepChallengeResourceVerification = !allowed
	}
	if outDir != "" && (!path.IsAbs(outDir) || path.Clean(outDir) != outDir || outDir == "/") {
		errs = append(errs, &FieldError{Path: AllowedOutputDirEnv, Problem: fmt.Sprintf("%q is not a clean absolute directory other than /", outDir),
			Fix: "set the directory the shared volume is mounted at, e.g. /fig" + setByWebhook})
	}
	return &Allowlist{List: allowlist.FromEntries(figs, suffixes), AnyFigURI: figRaw == "", AnyKeyVault: kvRaw == "",
		Rules: rules, envAuthorityHost: strings.TrimSpace(getenv(AzureAuthorityHostEnv))}, errs
}

// entries splits a comma-separated list; AllowlistNone is the empty list.
func entries(raw string) []string {
	if raw == AllowlistNone {
		return []string{}
	}
	return SplitURIs(raw)
}

// CheckAllowlist checks every URI of the configuration (fig.apiUri,
// fig.clientSecret.keyVault, keyVaults[].url) against c.Allowlist, and the
// configuration against its Rules, as Validate does; the agent calls it
// again when it is built, so a configuration that did not come through
// Complete is held to the same lists. The error joins one *FieldError per
// problem.
func (c *Config) CheckAllowlist() error {
	v := &validator{}
	v.allowlist(c)
	return errors.Join(v.errs...)
}

// allowlist checks every URI of the configuration against c.Allowlist, and
// the configuration against its Rules.
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
	rules := a.Rules
	for _, e := range rules.Check(c) {
		if e.Path == "azure.authorityHost" && a.envAuthorityHost != "" && c.Azure.AuthorityHost == a.envAuthorityHost {
			e.Path, e.Fix = AzureAuthorityHostEnv+" (azure.authorityHost from the environment)", envAuthorityHostFix
		}
		v.errs = append(v.errs, e)
	}
}

// String renders d as ConfineFilesEnv holds it: JSON, since a path may
// hold any separator.
func (d FileDirs) String() string {
	data, _ := json.Marshal(d) // five strings: cannot fail
	return string(data)
}

// ParseFileDirs reads ConfineFilesEnv's value: a JSON object with every
// key of FileDirs, each a clean absolute directory other than /.
func ParseFileDirs(s string) (*FileDirs, error) {
	var d FileDirs
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("is not a JSON object of clientSecret, config, template, ca and relay: %v", err)
	}
	for k, v := range map[string]string{"clientSecret": d.ClientSecret, "config": d.Config, "template": d.Template, "ca": d.CA, "relay": d.Relay} {
		if !path.IsAbs(v) || path.Clean(v) != v || v == "/" {
			return nil, fmt.Errorf("gives %s %q, which is not a clean absolute directory other than /", k, v)
		}
	}
	return &d, nil
}
