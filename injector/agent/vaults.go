package agent

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/fig-injector/fig-injector/injector/azure"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/keyvault"
	"github.com/fig-injector/fig-injector/injector/status"
)

// vaultSet owns one keyvault.Vault per vault URL for the life of the agent:
// the configured vaults, plus any vault a Fig value references. All share one
// credential, created on first use so that a pod that reads no Key Vault
// needs no Azure identity.
type vaultSet struct {
	azure  config.Azure
	allow  *config.Allowlist // nil: any vault
	hc     *http.Client
	logger *slog.Logger
	now    func() time.Time
	limits limits

	credOnce sync.Once
	cred     azcore.TokenCredential
	credErr  error

	mu     sync.Mutex
	vaults map[string]*vault // by normalised URL
	order  []string          // configured first, then in order of reference
	parser keyvault.Parser
	// added is signalled (buffer of one) when a vault is registered: the
	// relay subscription follows the set (relay.go).
	added chan struct{}
}

// vault is the one owner of everything the agent knows about one vault: its
// client and configuration (fixed once registered), the references to it in
// the last good Fig values, its last good snapshot, and the run loop's
// handle on its poller. refs, snap and poller belong to the goroutine
// running RenderOnce or Run; a poller goroutine reads only kv and interval.
type vault struct {
	kv       *keyvault.Vault
	static   keyvault.Request // prefix and explicit mappings from the config
	interval time.Duration

	refs   []keyvault.Ref     // references to this vault in the last good Fig values
	snap   *keyvault.Snapshot // the last good answer; nil before the first
	poller *vaultPoller       // nil until Run starts its poller
	relay  *relayLink         // the relay's word on this vault (relay.go)
}

func newVaultSet(cfg *config.Config, hc *http.Client, logger *slog.Logger, now func() time.Time, l limits) (*vaultSet, error) {
	s := &vaultSet{azure: cfg.Azure, allow: cfg.Allowlist, hc: hc, logger: logger, now: now, limits: l, vaults: map[string]*vault{},
		added: make(chan struct{}, 1)}
	var kvs []*keyvault.Vault
	for i, c := range cfg.KeyVaults {
		v, err := s.add(c.URL, c.Name, c.PollInterval.D())
		if err != nil {
			return nil, fmt.Errorf("keyVaults[%d]: %w", i, err)
		}
		v.static = requestOf(c)
		kvs = append(kvs, v.kv)
	}
	s.parser = keyvault.NewParser(cfg.Azure.KeyVaultDNSSuffix, kvs...)
	return s, nil
}

func requestOf(c config.KeyVault) keyvault.Request {
	r := keyvault.Request{Prefix: c.Prefix}
	for _, m := range c.Secrets {
		r.Secrets = append(r.Secrets, keyvault.Mapping{Name: m.Name, Key: m.Key, Version: m.Version, Optional: m.Optional})
	}
	return r
}

// credential returns the process's one workload-identity credential.
func (s *vaultSet) credential() (azcore.TokenCredential, error) {
	s.credOnce.Do(func() {
		s.cred, s.credErr = azure.NewCredential(azure.Options{
			ClientID: s.azure.ClientID, TenantID: s.azure.TenantID, TokenFile: s.azure.TokenFile,
			AuthorityHost: s.azure.AuthorityHost, DisableInstanceDiscovery: s.azure.DisableInstanceDiscovery,
			HTTPClient: s.hc,
		})
	})
	return s.cred, s.credErr
}

// permit refuses a vault outside the cluster's allowlist. It runs before a
// vault is registered, so nothing (no challenge, no token) is ever sent to a
// refused one.
func (s *vaultSet) permit(url string) error {
	if err := s.allow.CheckKeyVaultURL(url); err != nil {
		return &notAllowedError{vault: url, err: err}
	}
	return nil
}

// add registers a vault the allowlist permits, or returns the one already
// registered for url.
func (s *vaultSet) add(url, name string, interval time.Duration) (*vault, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.vaults {
		if v.kv.URL() == url || v.kv.URL() == url+"/" {
			return v, nil
		}
	}
	if err := s.permit(url); err != nil {
		return nil, err
	}
	if len(s.vaults) >= MaxVaults {
		return nil, fmt.Errorf("too many vaults: the agent talks to at most %d; fix: keep the secrets an application needs in fewer vaults", MaxVaults)
	}
	cred, err := s.credential()
	if err != nil {
		return nil, err
	}
	kv, err := keyvault.NewVault(url, cred, keyvault.VaultOptions{
		Name: name, ClientID: s.azure.ClientID, HTTPClient: s.hc, Logger: s.logger, Now: s.now,
		DisableChallengeResourceVerification: s.azure.DisableChallengeResourceVerification,
	})
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		interval = config.DefaultKeyVaultPollInterval
	}
	v := &vault{kv: kv, interval: interval, relay: newRelayLink()}
	s.vaults[kv.URL()] = v
	s.order = append(s.order, kv.URL())
	signal(s.added)
	return v, nil
}

// get returns a registered vault by URL.
func (s *vaultSet) get(url string) *vault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.vaults[url]
}

// all returns every registered vault, configured vaults first.
func (s *vaultSet) all() []*vault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*vault, len(s.order))
	for i, url := range s.order {
		out[i] = s.vaults[url]
	}
	return out
}

// references finds the Key Vault references among values and groups them
// by vault, registering vaults that only references name. A malformed
// reference is an error naming the key that holds it. A reference to a vault
// outside the allowlist is not: it is left out (its key stays unresolved)
// and returned in refused, and its vault is never contacted.
func (s *vaultSet) references(keys, values []string) (refs map[string][]keyvault.Ref, refused []refusal, err error) {
	out := map[string][]keyvault.Ref{}
	n := 0 // distinct references
	for i, text := range values {
		ref, ok, err := s.parser.Parse(text)
		if err != nil {
			return nil, nil, fmt.Errorf("setting %s from Fig: %w", keys[i], err)
		}
		if !ok {
			continue
		}
		if err := s.allow.CheckKeyVaultURL(ref.VaultURL); err != nil {
			refused = append(refused, refusal{key: keys[i], vault: ref.VaultURL, err: err})
			continue
		}
		v, err := s.add(ref.VaultURL, ref.VaultName, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("setting %s from Fig references %s: %w", keys[i], ref.VaultURL, err)
		}
		url := v.kv.URL()
		if !slices.ContainsFunc(out[url], func(r keyvault.Ref) bool { return r.Raw == ref.Raw }) {
			if n++; n > s.limits.references {
				return nil, nil, s.tooManyReferences()
			}
			out[url] = append(out[url], ref)
		}
	}
	return out, refused, nil
}

// tooManyReferences is the error for Fig values holding more distinct Key
// Vault references than the agent's memory allows: each costs a request per
// poll and memory for the life of the values.
func (s *vaultSet) tooManyReferences() error {
	return &source.Error{Source: "fig", Op: "read Key Vault references",
		Err: fmt.Errorf("too large: Fig's values hold more than %d distinct Key Vault references, the limit for this agent (%s)", s.limits.references, s.limits),
		Fix: fmt.Sprintf("raise the agent container's memory limit (one reference per %d KiB, at most %d), or reference fewer secrets (a prefix loads many secrets with one list)", referenceCost>>10, MaxReferences)}
}

// readSecretURI fetches one secret by its URI (fig.clientSecret.keyVault).
func (s *vaultSet) readSecretURI(ctx context.Context, uri string) (secret.Value, error) {
	ref, err := keyvault.ParseSecretURI(uri)
	if err != nil {
		return secret.Value{}, fmt.Errorf("fig.clientSecret.keyVault: %w", err)
	}
	v, err := s.add(ref.VaultURL, ref.VaultName, 0)
	if err != nil {
		return secret.Value{}, err
	}
	snap, err := v.kv.Fetch(ctx, keyvault.Request{References: []keyvault.Ref{ref}})
	if err != nil {
		return secret.Value{}, err
	}
	return snap.Resolved()[ref.Raw], nil
}

// request is what the agent now asks of the vault: its static part plus the
// references in the last good Fig values.
func (v *vault) request() keyvault.Request {
	r := v.static
	r.References = v.refs
	return r
}

// pending reports whether the last good snapshot does not answer the
// current request (none does, unless the request is empty).
func (v *vault) pending() bool {
	if v.snap == nil {
		return !v.request().IsEmpty()
	}
	return !v.snap.Request().Equal(v.request())
}

// healthName is the vault's name in health and metrics.
func (v *vault) healthName() string { return status.KeyVaultSource(v.kv.URL()) }
