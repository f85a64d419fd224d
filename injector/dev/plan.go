package dev

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
)

// plan is a checked seed in the emulators' terms: what apply hands them.
type plan struct {
	seed    *Seed
	tenant  string
	clients []figapi.ClientSeed // every entry carries its name's secret
	hooks   []figapi.WebHookClient
	vaults  []vaultPlan // seed order
	creds   []entra.FederatedCredential
}

// vaultPlan is one vault's wanted secrets, in seed order.
type vaultPlan struct {
	name    string
	secrets []secretPlan
}

// secretPlan is the wanted latest version of one secret.
type secretPlan struct {
	name        string
	value       string
	enabled     bool
	contentType string
	notBefore   time.Time
	expires     time.Time
	tags        map[string]string
	forbidden   bool
}

// equal reports whether two plans would create identical versions, so an
// unchanged secret gets no new version when the seed is re-applied.
func (s secretPlan) equal(o secretPlan) bool {
	return s.value == o.value && s.enabled == o.enabled && s.contentType == o.contentType &&
		s.notBefore.Equal(o.notBefore) && s.expires.Equal(o.expires) && maps.Equal(s.tags, o.tags)
}

// options are the SetSecret options that create this version.
func (s secretPlan) options() []keyvault.SecretOption {
	opts := []keyvault.SecretOption{keyvault.WithEnabled(s.enabled)}
	if s.contentType != "" {
		opts = append(opts, keyvault.WithContentType(s.contentType))
	}
	if !s.notBefore.IsZero() {
		opts = append(opts, keyvault.WithNotBefore(s.notBefore))
	}
	if !s.expires.IsZero() {
		opts = append(opts, keyvault.WithExpires(s.expires))
	}
	if len(s.tags) > 0 {
		opts = append(opts, keyvault.WithTags(s.tags))
	}
	return opts
}

// firstClient is the client agent.yaml reads, nil without clients.
func (p *plan) firstClient() *figapi.ClientSeed {
	if len(p.clients) == 0 {
		return nil
	}
	return &p.clients[0]
}

// firstIdentity is the identity the token file is minted for, nil without
// identities.
func (p *plan) firstIdentity() *entra.FederatedCredential {
	if len(p.creds) == 0 {
		return nil
	}
	return &p.creds[0]
}

// Name rules, as the services apply them.
var (
	vaultNamePattern  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$`)
	secretNamePattern = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)
	tenantPattern     = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)
)

// checker collects every problem of a seed instead of stopping at the first.
type checker struct{ errs []error }

func (c *checker) add(path, problem, fix string) {
	c.errs = append(c.errs, &FieldError{Path: path, Problem: problem, Fix: fix})
}

// compile decodes and checks a seed and builds its plan.
func compile(data []byte) (*plan, error) {
	s, err := decodeSeed(data)
	if err != nil {
		return nil, err
	}
	c := &checker{}
	p := &plan{seed: s, tenant: strings.TrimSpace(s.TenantID)}
	if len(s.Fig.Clients) == 0 && len(s.KeyVaults) == 0 {
		c.add("(file)", "declares no Fig client and no Key Vault", "add fig.clients, keyVaults, or both (see examples/dev/seed.yaml)")
	}
	switch {
	case p.tenant == "" && (len(s.KeyVaults) > 0 || len(s.Identities) > 0):
		c.add("tenantId", "is required with keyVaults or identities", "set it to any GUID, e.g. 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f")
	case p.tenant != "" && !tenantPattern.MatchString(p.tenant):
		c.add("tenantId", fmt.Sprintf("%q is not a tenant ID", p.tenant), "use a GUID, e.g. 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f")
	}
	p.clients = c.clients(s.Fig.Clients)
	p.hooks = c.webHooks(s.Fig.WebHooks)
	p.vaults = c.vaults(s.KeyVaults)
	p.creds = c.identities(p.tenant, s.Identities)
	if len(s.KeyVaults) > 0 && len(s.Identities) == 0 {
		c.add("identities", "is empty, so nothing can read the vaults",
			"add one, e.g. {clientId: 2b7c9e4d-1f3a-4e6b-8c5d-7a9f0e1d2c3b, issuer: https://kubernetes.default.svc.cluster.local, subject: system:serviceaccount:shop:orders}")
	}
	if len(c.errs) == 0 {
		c.dryRun(p)
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// webHooks converts the web hook receivers; an empty regex becomes ".*"
// and figapi checks the rest.
func (c *checker) webHooks(in []SeedWebHookClient) []figapi.WebHookClient {
	out := make([]figapi.WebHookClient, 0, len(in))
	for _, w := range in {
		wc := figapi.WebHookClient{Name: w.Name, BaseURI: w.BaseURI, Secret: w.Secret}
		for _, h := range w.Hooks {
			wc.Hooks = append(wc.Hooks, figapi.WebHook{Type: h.Type, ClientNameRegex: cmpOr(h.ClientNameRegex, ".*"), SettingNameRegex: cmpOr(h.SettingNameRegex, ".*"), MinSessions: h.MinSessions})
		}
		out = append(out, wc)
	}
	if err := figapi.New(figapi.Options{}).SetWebHooks(out); err != nil {
		c.add("fig.webHooks", err.Error(), "use an absolute https base URI, a type SettingValueChanged, NewClientRegistration, UpdatedClientRegistration, ClientStatusChanged, MinRunSessions or HealthStatusChanged, and valid regular expressions")
	}
	return out
}

// clients checks the Fig clients and converts their settings.
func (c *checker) clients(in []SeedClient) []figapi.ClientSeed {
	out := make([]figapi.ClientSeed, 0, len(in))
	secrets := map[string]string{} // client name → secret
	seen := map[[2]string]bool{}
	for i, sc := range in {
		path := fmt.Sprintf("fig.clients[%d]", i)
		if strings.TrimSpace(sc.Name) == "" {
			c.add(path+".name", "is required", "set the Fig client name, e.g. OrderService")
		}
		key := [2]string{sc.Name, sc.Instance}
		if seen[key] {
			c.add(path, fmt.Sprintf("client %q instance %q is declared twice", sc.Name, sc.Instance), "merge the two entries")
		}
		seen[key] = true
		if sc.Secret != "" {
			switch prev, ok := secrets[sc.Name]; {
			case ok && prev != "" && prev != sc.Secret:
				c.add(path+".secret", "differs from an earlier entry of the same client", "every instance of a client shares one secret: give it once or the same each time")
			case !secretOK(sc.Secret):
				c.add(path+".secret", "is shorter than 32 characters or has fewer than 10 different ones, which Fig rejects", "use a GUID, e.g. the output of uuidgen")
			}
			secrets[sc.Name] = sc.Secret
		}
		cs := figapi.ClientSeed{Name: sc.Name, Instance: sc.Instance, Description: sc.Description}
		names := map[string]bool{}
		for j, st := range sc.Settings {
			sp := fmt.Sprintf("%s.settings[%d]", path, j)
			if strings.TrimSpace(st.Name) == "" {
				c.add(sp+".name", "is required", "name the setting, e.g. Location or Database->Host")
				continue
			}
			if names[st.Name] {
				c.add(sp+".name", fmt.Sprintf("%q is declared twice in this client", st.Name), "keep one")
			}
			names[st.Name] = true
			ss, err := settingSeed(sp, st)
			if err != nil {
				c.errs = append(c.errs, err)
				continue
			}
			cs.Settings = append(cs.Settings, ss)
		}
		out = append(out, cs)
	}
	for i := range out {
		if out[i].Secret = secrets[out[i].Name]; out[i].Secret == "" && out[i].Name != "" {
			c.add(fmt.Sprintf("fig.clients[%d].secret", i), "is required", "set the client secret (at least 32 characters; a GUID will do)")
		}
	}
	return out
}

// secretOK applies Fig's client secret rule (contracts/fig-api.md §1.2).
func secretOK(s string) bool {
	distinct := map[rune]bool{}
	for _, r := range s {
		distinct[r] = true
	}
	return len(s) >= 32 && len(distinct) >= 10
}

// vaults checks the vaults and their secrets.
func (c *checker) vaults(in []SeedVault) []vaultPlan {
	out := make([]vaultPlan, 0, len(in))
	seen := map[string]bool{}
	for i, sv := range in {
		path := fmt.Sprintf("keyVaults[%d]", i)
		switch {
		case !vaultNamePattern.MatchString(sv.Name):
			c.add(path+".name", fmt.Sprintf("%q is not a vault name", sv.Name), "use 3-24 letters, digits and hyphens, starting with a letter, e.g. orders-kv")
		case seen[strings.ToLower(sv.Name)]:
			c.add(path+".name", fmt.Sprintf("%q is declared twice", sv.Name), "merge the two entries")
		}
		seen[strings.ToLower(sv.Name)] = true
		vp := vaultPlan{name: sv.Name}
		names := map[string]bool{}
		for j, ss := range sv.Secrets {
			sp := fmt.Sprintf("%s.secrets[%d]", path, j)
			switch {
			case !secretNamePattern.MatchString(ss.Name):
				c.add(sp+".name", fmt.Sprintf("%q is not a secret name", ss.Name), "use 1-127 letters, digits and hyphens (-- stands for : in a configuration key)")
			case names[strings.ToLower(ss.Name)]:
				c.add(sp+".name", fmt.Sprintf("%q is declared twice (Key Vault ignores case)", ss.Name), "keep one")
			}
			names[strings.ToLower(ss.Name)] = true
			if ss.Value == nil {
				c.add(sp+".value", "is required", `set the secret's value (quote it: value: "…")`)
			}
			spl := secretPlan{name: ss.Name, enabled: ss.Enabled == nil || *ss.Enabled, contentType: ss.ContentType, tags: ss.Tags,
				forbidden: ss.Forbidden}
			if ss.Value != nil {
				spl.value = *ss.Value
			}
			spl.notBefore = c.time(sp+".notBefore", ss.NotBefore)
			spl.expires = c.time(sp+".expires", ss.Expires)
			vp.secrets = append(vp.secrets, spl)
		}
		out = append(out, vp)
	}
	return out
}

// time parses an optional RFC 3339 time.
func (c *checker) time(path, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		c.add(path, fmt.Sprintf("%q is not an RFC 3339 time", s), "write it like 2030-01-31T00:00:00Z")
	}
	return t
}

// identities checks the federated credentials.
func (c *checker) identities(tenant string, in []SeedIdentity) []entra.FederatedCredential {
	out := make([]entra.FederatedCredential, 0, len(in))
	for i, id := range in {
		path := fmt.Sprintf("identities[%d]", i)
		for _, f := range []struct{ name, v, fix string }{
			{"clientId", id.ClientID, "set the application (client) ID the agent presents, any GUID"},
			{"issuer", id.Issuer, "set the token issuer, e.g. https://kubernetes.default.svc.cluster.local"},
			{"subject", id.Subject, "set the subject, e.g. system:serviceaccount:<namespace>:<service account>"},
		} {
			if strings.TrimSpace(f.v) == "" {
				c.add(path+"."+f.name, "is required", f.fix)
			}
		}
		aud := id.Audience
		if aud == "" {
			aud = entra.DefaultAudience
		}
		out = append(out, entra.FederatedCredential{TenantID: tenant, ClientID: id.ClientID, Issuer: id.Issuer, Subject: id.Subject, Audience: aud})
	}
	return out
}

// dryRun applies the plan to throw-away emulators, so that every rule the
// emulators enforce is checked before the running ones are touched: a seed
// that passes compile applies in full, never halfway.
func (c *checker) dryRun(p *plan) {
	fig := figapi.New(figapi.Options{})
	for i, cs := range p.clients {
		if err := fig.Seed(cs); err != nil {
			c.add(fmt.Sprintf("fig.clients[%d]", i), "is rejected by the Fig emulator: "+err.Error(), "correct the client as the message says")
		}
	}
	for i, vp := range p.vaults {
		kv, err := keyvault.New(keyvault.Options{Name: vp.name, TenantID: p.tenant})
		if err != nil {
			c.add(fmt.Sprintf("keyVaults[%d]", i), "is rejected by the Key Vault emulator: "+err.Error(), "correct the vault as the message says")
			continue
		}
		for j, sp := range vp.secrets {
			if _, err := kv.SetSecret(sp.name, sp.value, sp.options()...); err != nil {
				c.add(fmt.Sprintf("keyVaults[%d].secrets[%d]", i, j), "is rejected by the Key Vault emulator: "+err.Error(), "correct the secret as the message says")
			}
		}
	}
	if err := entra.New(entra.Options{}).SetFederatedCredentials(p.creds); err != nil {
		c.add("identities", "are rejected by the Entra ID emulator: "+err.Error(), "correct the identities as the message says")
	}
}
