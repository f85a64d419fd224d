package keyvault

import "strings"

// hasPrefixFold reports whether name starts with prefix, ignoring case as Key
// Vault does for names.
func hasPrefixFold(name, prefix string) bool {
	return len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix)
}

// prefixKey maps a prefix secret's name to its configuration key the way
// .NET's KeyVaultSecretManager (with a prefix-stripping manager) does: strip
// the prefix, then "--" becomes the ":" separator. ok is false when nothing
// is left of the name.
func prefixKey(name, prefix string) (key string, ok bool) {
	rest := name[len(prefix):]
	if rest == "" {
		return "", false
	}
	return strings.ReplaceAll(rest, "--", ":"), true
}
