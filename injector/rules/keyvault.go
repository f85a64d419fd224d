package rules

import (
	"regexp"
	"strings"
)

// Key Vault's name rules, checked before any request so a typo fails with a
// message instead of a 400 or a silent 404. The *Rule constants say the
// rule in words, for fixes.
const (
	SecretNameRule    = "1-127 letters, digits and dashes"
	SecretPrefixRule  = "1-126 letters, digits and dashes"
	SecretVersionRule = "letters and digits, e.g. the 32 hex digits Key Vault shows"
	VaultNameRule     = "3-24 letters, digits and single hyphens, starting with a letter"
)

var (
	secretName = regexp.MustCompile(`^[0-9A-Za-z-]{1,127}$`)
	// secretPrefix: what a secret name may start with (one character is
	// left for the rest of the name).
	secretPrefix = regexp.MustCompile(`^[0-9A-Za-z-]{1,126}$`)
	// secretVersion: the service issues 32 hex digits; any short
	// alphanumeric string is accepted so emulators with other IDs work.
	secretVersion = regexp.MustCompile(`^[0-9A-Za-z]{1,64}$`)
	// vaultName: ending with a letter or digit; consecutive hyphens are
	// checked apart.
	vaultName = regexp.MustCompile(`^[A-Za-z][0-9A-Za-z-]{1,22}[0-9A-Za-z]$`)
)

// SecretName reports whether s is a Key Vault secret name (SecretNameRule).
func SecretName(s string) bool { return secretName.MatchString(s) }

// SecretNamePrefix reports whether s can start a secret name
// (SecretPrefixRule). An empty prefix (no prefix) is the caller's decision.
func SecretNamePrefix(s string) bool { return secretPrefix.MatchString(s) }

// SecretVersion reports whether s is a secret version (SecretVersionRule).
func SecretVersion(s string) bool { return secretVersion.MatchString(s) }

// VaultName reports whether s is a vault name (VaultNameRule).
func VaultName(s string) bool { return vaultName.MatchString(s) && !strings.Contains(s, "--") }
