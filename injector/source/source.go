// Package source is the vocabulary that every configuration source (Fig, Key
// Vault) shares with merge and the agent: the Entry a source delivers and the
// Error it fails with. It knows nothing of HTTP, Azure or Kubernetes.
package source

import "github.com/fig-injector/fig-injector/injector/secret"

// Origin names where an Entry came from. Conflict reports and metrics use it;
// it never contains a value.
type Origin string

// The origins, from lowest to highest precedence (SPEC §2.1 rule 4).
const (
	OriginFig      Origin = "fig"              // a Fig setting
	OriginPrefix   Origin = "keyvault-prefix"  // a prefix-loaded Key Vault secret
	OriginExplicit Origin = "keyvault-mapping" // an explicit Key Vault secret mapping
)

// Precedence ranks o for conflicts: a higher rank wins (SPEC §2.1 rule 4).
// An unknown origin ranks lowest.
func (o Origin) Precedence() int {
	switch o {
	case OriginFig:
		return 1
	case OriginPrefix:
		return 2
	case OriginExplicit:
		return 3
	}
	return 0
}

// Entry is one configuration key and its value, as a source delivered it.
type Entry struct {
	// Key is the .NET configuration key, segments joined by ":" (for example
	// "ConnectionStrings:Orders:Password"). Keys compare case-insensitively,
	// as IConfiguration does.
	Key string
	// Value is the value. Every value is carried as a secret.Value so that no
	// value can reach a log by accident, secret or not.
	Value secret.Value
	// Secret is true for values that `render` must redact: everything from
	// Key Vault, and Fig settings marked isSecret.
	Secret bool
	// Origin says which source delivered the entry.
	Origin Origin
}
