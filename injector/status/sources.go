package status

import (
	"net/url"
	"strings"
)

// Source names, shared by metric labels and SourceHealth.Name. Request
// metrics use the three kinds; last-success metrics and health use
// SourceFig and KeyVaultSource(vaultURL), one per vault.
const (
	SourceFig      = "fig"      // the Fig API
	SourceKeyVault = "keyvault" // any Key Vault
	SourceEntra    = "entra"    // the Entra ID token endpoint
	// sourceOther replaces any name outside the fixed set, so a caller's
	// mistake cannot put a secret name into a label.
	sourceOther = "other"
)

// KeyVaultSource names one vault as "keyvault:<host>", e.g.
// "keyvault:orders-kv.vault.azure.net". It keeps the host only: secret names
// and versions live in the URL's path and never reach a label.
func KeyVaultSource(vaultURL string) string {
	u, err := url.Parse(vaultURL)
	if err != nil || !validHost(strings.ToLower(u.Hostname())) {
		return SourceKeyVault + ":invalid"
	}
	return SourceKeyVault + ":" + strings.ToLower(u.Hostname())
}

// requestSource maps a request's source to its label value.
func requestSource(s string) string {
	switch s {
	case SourceFig, SourceKeyVault, SourceEntra:
		return s
	}
	return sourceOther
}

// successSource maps a last-success source to its label value.
func successSource(s string) string {
	if host, ok := strings.CutPrefix(s, SourceKeyVault+":"); ok && validHost(host) {
		return s
	}
	return requestSource(s)
}

// validHost reports whether h is a lowercase DNS name or IP address, the
// only shape a vault host label may have.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':') {
			return false
		}
	}
	return true
}
