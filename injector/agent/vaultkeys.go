package agent

import (
	"slices"
	"strings"
)

// vaultKeys lists the configuration keys that Key Vault secrets back, with
// the secret behind each: the keys each vault's snapshot names (explicit
// mappings and prefix secrets), and for references the Fig keys holding them.
func (a *Agent) vaultKeys() []vaultKey {
	var out []vaultKey
	for _, v := range a.vaults.all() {
		if v.snap == nil {
			continue
		}
		for _, s := range v.snap.Secrets() {
			if s.Missing != "" {
				continue
			}
			keys := s.Keys
			for _, raw := range s.References {
				keys = append(keys, a.figKeysHolding(raw)...)
			}
			for _, key := range keys {
				out = append(out, vaultKey{Key: key, Secret: s})
			}
		}
	}
	slices.SortFunc(out, func(x, y vaultKey) int { return strings.Compare(x.Key, y.Key) })
	return out
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
