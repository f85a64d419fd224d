package keyvault

import (
	"regexp"
	"strings"
)

// Name rules of the Key Vault service, checked before any request so a typo
// fails with a message instead of a 400 or a silent 404.
var (
	// secretNamePattern: 1-127 letters, digits and dashes.
	secretNamePattern = regexp.MustCompile(`^[0-9A-Za-z-]{1,127}$`)
	// versionPattern: the service issues 32 hex digits; accept any short
	// alphanumeric string so emulators with other IDs work.
	versionPattern = regexp.MustCompile(`^[0-9A-Za-z]{1,64}$`)
	// vaultNamePattern: 3-24 letters, digits and hyphens, starting with a
	// letter and ending with a letter or digit (consecutive hyphens are
	// checked separately).
	vaultNamePattern = regexp.MustCompile(`^[A-Za-z][0-9A-Za-z-]{1,22}[0-9A-Za-z]$`)
	// prefixPattern: what a secret name may start with.
	prefixPattern = regexp.MustCompile(`^[0-9A-Za-z-]{0,126}$`)
)

func validSecretName(s string) bool { return secretNamePattern.MatchString(s) }
func validVersion(s string) bool    { return versionPattern.MatchString(s) }
func validVaultName(s string) bool {
	return vaultNamePattern.MatchString(s) && !strings.Contains(s, "--")
}

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
