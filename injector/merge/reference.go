package merge

import (
	"strings"

	"github.com/fig-injector/fig-injector/injector/secret"
)

// referencePrefix starts every Key Vault reference, in both App Service
// syntaxes (SecretUri=… and VaultName=…;SecretName=…).
const referencePrefix = "@Microsoft.KeyVault"

// IsReference reports whether a Fig value is a Key Vault reference: after
// trimming spaces it starts with "@Microsoft.KeyVault", then "(" after
// optional spaces (the Key Vault parser's tolerance), in any letter case,
// and ends with ")". It only recognises the shape; parsing the
// reference (vault, name, version) belongs to the Key Vault source. Merge
// uses it to decide which Fig values must come from Input.Resolved; the
// agent may use it to collect the references to resolve.
//
// Matching the prefix case-insensitively is the safe direction: a value the
// Key Vault source does not understand then fails as unresolved instead of
// reaching the file as the literal reference text.
func IsReference(s string) bool {
	t := strings.TrimSpace(s)
	if len(t) <= len(referencePrefix) || !strings.EqualFold(t[:len(referencePrefix)], referencePrefix) {
		return false
	}
	rest := strings.TrimLeft(t[len(referencePrefix):], " \t")
	return strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")")
}

// resolve looks a reference up in resolved: first by the trimmed text, then
// by the value exactly as Fig sent it, so the caller may key by either.
func resolve(resolved map[string]secret.Value, ref string) (secret.Value, bool) {
	if v, ok := resolved[strings.TrimSpace(ref)]; ok {
		return v, true
	}
	v, ok := resolved[ref]
	return v, ok
}
