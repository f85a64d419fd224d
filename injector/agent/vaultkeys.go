package agent

import (
	"slices"
	"strings"

	"github.com/fig-injector/fig-injector/injector/source/keyvault"
)

// vaultKeys lists the configuration keys that Key Vault secrets back, with
// the secret behind each: explicit mappings by their key, prefix secrets by
// the key their name gives, references by the Fig keys that hold them.
func (a *Agent) vaultKeys() []vaultKey {
	var out []vaultKey
	for _, url := range a.vaults.urls() {
		snap, ok := a.state.snaps[url]
		if !ok {
			continue
		}
		req := a.state.reqs[url]
		for _, s := range snap.Secrets() {
			if s.Missing != "" {
				continue
			}
			for _, key := range keysOf(s, req, a.figKeysHolding) {
				out = append(out, vaultKey{Key: key, Secret: s})
			}
		}
	}
	slices.SortFunc(out, func(x, y vaultKey) int { return strings.Compare(x.Key, y.Key) })
	return out
}

func keysOf(s keyvault.Secret, req keyvault.Request, figKeys func(raw string) []string) []string {
	var keys []string
	for _, m := range req.Secrets {
		if strings.EqualFold(m.Name, s.Name) && (m.Version == "" || m.Version == s.Version) {
			keys = append(keys, m.Key)
		}
	}
	if req.Prefix != "" && !s.Pinned && len(s.Name) > len(req.Prefix) && strings.EqualFold(s.Name[:len(req.Prefix)], req.Prefix) {
		keys = append(keys, strings.ReplaceAll(s.Name[len(req.Prefix):], "--", ":"))
	}
	for _, ref := range req.References {
		if strings.EqualFold(ref.Name, s.Name) && (ref.Version == "" || ref.Version == s.Version) {
			keys = append(keys, figKeys(ref.Raw)...)
		}
	}
	return keys
}

// figKeysHolding returns the Fig keys whose value is the reference raw.
func (a *Agent) figKeysHolding(raw string) []string {
	var keys []string
	for _, e := range a.state.fig {
		if strings.TrimSpace(e.Value.Reveal()) == strings.TrimSpace(raw) {
			keys = append(keys, e.Key)
		}
	}
	return keys
}
