package allowlist_test

import (
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/allowlist"
)

// cluster is the chart's default for a public-cloud cluster, plus a second
// Fig API under a path.
var cluster = allowlist.List{
	FigURIs:          []string{"https://fig-api.fig.svc:8080", "https://fig-api.fig-blue.svc:8080/api"},
	KeyVaultSuffixes: []string{"vault.azure.net"},
}

// relaxed accepts http and IP literals, for emulators and in-cluster Fig
// without TLS.
var relaxed = allowlist.List{
	FigURIs:          []string{"https://fig-api.fig.svc:8080", "http://127.0.0.1:5051", "https://fig.example"},
	KeyVaultSuffixes: []string{"vault.azure.net", "127.0.0.1", "vault.localhost"},
	AllowHTTP:        true,
	AllowIPLiterals:  true,
}

// check runs one Check method by kind.
func check(l allowlist.List, kind, uri string) error {
	switch kind {
	case "fig":
		return l.CheckFigURI(uri)
	case "vault":
		return l.CheckKeyVaultURL(uri)
	case "secret":
		return l.CheckKeyVaultSecretURI(uri)
	}
	panic("unknown kind " + kind)
}

// TestRefusals: however a URI is disguised, it does not pass, and the
// reason says why.
func TestRefusals(t *testing.T) {
	tests := []struct {
		name, kind, uri, reason string
	}{
		{"fig other host", "fig", "https://evil.example", "is not in the allowlist (https://fig-api.fig.svc:8080, https://fig-api.fig-blue.svc:8080/api)"},
		{"fig host suffix trick", "fig", "https://fig-api.fig.svc:8080.evil.example", "is not a URL"},
		{"fig host as userinfo", "fig", "https://fig-api.fig.svc:8080@evil.example", "contains user info (user@host)"},
		{"fig empty userinfo", "fig", "https://@fig-api.fig.svc:8080", "contains user info"},
		{"fig other port", "fig", "https://fig-api.fig.svc:8443", "is not in the allowlist"},
		{"fig default port is not 8080", "fig", "https://fig-api.fig.svc", "is not in the allowlist"},
		{"fig sibling path", "fig", "https://fig-api.fig-blue.svc:8080/apix", "is not in the allowlist"},
		{"fig above the path", "fig", "https://fig-api.fig-blue.svc:8080/", "is not in the allowlist"},
		{"fig dot-dot path", "fig", "https://fig-api.fig-blue.svc:8080/api/../admin", `has "." or ".." path segments`},
		{"fig dot path", "fig", "https://fig-api.fig-blue.svc:8080/api/./x", `has "." or ".." path segments`},
		{"fig encoded dot-dot", "fig", "https://fig-api.fig-blue.svc:8080/api/%2e%2e/admin", "contains percent-encoding"},
		{"fig encoded host", "fig", "https://fig-api%2efig.svc:8080", "is not a URL"},
		{"fig encoded path", "fig", "https://fig-api.fig.svc:8080/%61pi", "percent-encoding"},
		{"fig backslash", "fig", `https://fig-api.fig.svc:8080\@evil.example`, "backslashes"},
		{"fig whitespace", "fig", "https://fig-api.fig.svc:8080 /x", "whitespace"},
		{"fig http", "fig", "http://fig-api.fig.svc:8080", "is not https"},
		{"fig other scheme", "fig", "ftp://fig-api.fig.svc:8080", "is not https"},
		{"fig relative", "fig", "//fig-api.fig.svc:8080", "is not https"},
		{"fig opaque", "fig", "https:fig-api.fig.svc", "is not an absolute URL"},
		{"fig ip", "fig", "https://10.0.0.7:8080", "is an IP address, not a host name"},
		{"fig ipv6", "fig", "https://[::1]:8080", "is an IP address"},
		{"fig decimal ip", "fig", "https://2130706433:8080", "numeric host name"},
		{"fig short ip", "fig", "https://127.1:8080", "numeric host name"},
		{"fig hex ip", "fig", "https://0x7f000001:8080", "numeric host name"},
		{"fig idn", "fig", "https://fig-аpi.fig.svc:8080", "non-ASCII"},
		{"fig punycode", "fig", "https://xn--fig-api-7vf.fig.svc:8080", "punycode"},
		{"fig upper case", "fig", "https://FIG-API.fig.svc:8080", "upper-case"},
		{"fig trailing dot", "fig", "https://fig-api.fig.svc.:8080", "trailing dot"},
		{"fig empty label", "fig", "https://fig-api..fig.svc:8080", "empty label"},
		{"fig underscore", "fig", "https://fig_api.fig.svc:8080", `invalid host name label "fig_api"`},
		{"fig query", "fig", "https://fig-api.fig.svc:8080?x=1", "query"},
		{"fig empty query", "fig", "https://fig-api.fig.svc:8080/?", "query"},
		{"fig fragment", "fig", "https://fig-api.fig.svc:8080#x", "fragment"},
		{"fig port zero", "fig", "https://fig-api.fig.svc:0", `invalid port "0"`},
		{"fig port leading zero", "fig", "https://fig-api.fig.svc:08080", `invalid port "08080"`},
		{"fig port too large", "fig", "https://fig-api.fig.svc:65536", "invalid port"},
		{"vault other suffix", "vault", "https://orders.vault.evil.example/", "is not under an allowed Key Vault DNS suffix (vault.azure.net)"},
		{"vault suffix without dot", "vault", "https://evilvault.azure.net/", "is not under an allowed"},
		{"vault bare suffix", "vault", "https://vault.azure.net/", "is not under an allowed"},
		{"vault suffix as a label", "vault", "https://orders.vault.azure.net.evil.example/", "is not under an allowed"},
		{"vault userinfo", "vault", "https://orders-kv.vault.azure.net@evil.example/", "user info"},
		{"vault path", "vault", "https://orders-kv.vault.azure.net/secrets/", "has a path"},
		{"vault http", "vault", "http://orders-kv.vault.azure.net/", "is not https"},
		{"vault ip", "vault", "https://10.0.0.7/", "is an IP address"},
		{"vault upper case", "vault", "https://Orders-KV.vault.azure.net/", "upper-case"},
		{"secret other vault", "secret", "https://kv.vault.evil.example/secrets/s", "is not under an allowed"},
		{"secret not a secret uri", "secret", "https://kv.vault.azure.net/keys/k", "is not a secret URI"},
		{"secret bad name", "secret", "https://kv.vault.azure.net/secrets/a_b", "is not a secret URI"},
		{"secret too deep", "secret", "https://kv.vault.azure.net/secrets/a/v1/x", "is not a secret URI"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := check(cluster, tc.kind, tc.uri)
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("%s %q: got %v, want a reason containing %q", tc.kind, tc.uri, err, tc.reason)
			}
		})
	}
}

// TestAccepts: what the lists allow, with and without the relaxations.
func TestAccepts(t *testing.T) {
	tests := []struct {
		name string
		list allowlist.List
		kind string
		uri  string
	}{
		{"fig entry", cluster, "fig", "https://fig-api.fig.svc:8080"},
		{"fig entry with slash", cluster, "fig", "https://fig-api.fig.svc:8080/"},
		{"fig below the entry's path", cluster, "fig", "https://fig-api.fig-blue.svc:8080/api/v2"},
		{"fig the entry's path", cluster, "fig", "https://fig-api.fig-blue.svc:8080/api"},
		{"fig http entry", relaxed, "fig", "http://127.0.0.1:5051/"},
		{"fig explicit default port", relaxed, "fig", "https://fig.example:443/any/path"},
		{"vault", cluster, "vault", "https://orders-kv.vault.azure.net/"},
		{"vault without slash", cluster, "vault", "https://orders-kv.vault.azure.net"},
		{"vault with a port", cluster, "vault", "https://orders-kv.vault.azure.net:443/"},
		{"vault deeper", cluster, "vault", "https://a.b.vault.azure.net/"},
		{"vault ip entry, any port", relaxed, "vault", "https://127.0.0.1:8443/"},
		{"vault localhost suffix", relaxed, "vault", "https://orders.vault.localhost:8443"},
		{"secret", cluster, "secret", "https://orders-kv.vault.azure.net/secrets/db-password"},
		{"secret version", cluster, "secret", "https://orders-kv.vault.azure.net/secrets/db-password/0123456789abcdef0123456789abcdef"},
		{"secret trailing slash", cluster, "secret", "https://orders-kv.vault.azure.net/secrets/db-password/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := check(tc.list, tc.kind, tc.uri); err != nil {
				t.Errorf("%s %q refused: %v", tc.kind, tc.uri, err)
			}
		})
	}
}

// TestEmptyListsAllowNothing: the zero List allows no Fig API and no vault,
// and says so.
func TestEmptyListsAllowNothing(t *testing.T) {
	var none allowlist.List
	for _, tc := range []struct{ kind, uri, reason string }{
		{"fig", "https://fig-api.fig.svc:8080", "the allowlist of Fig API URIs is empty"},
		{"vault", "https://orders-kv.vault.azure.net/", "the allowlist of Key Vault DNS suffixes is empty"},
		{"secret", "https://orders-kv.vault.azure.net/secrets/s", "the allowlist of Key Vault DNS suffixes is empty"},
	} {
		if err := check(none, tc.kind, tc.uri); err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s %q: got %v, want %q", tc.kind, tc.uri, err, tc.reason)
		}
	}
}

// TestRelaxationsOnlyWhereAsked: an IP literal or http is refused without
// the relaxation, and with it still has to match an entry.
func TestRelaxationsOnlyWhereAsked(t *testing.T) {
	tests := []struct {
		name string
		list allowlist.List
		kind string
		uri  string
	}{
		{"http without AllowHTTP", allowlist.List{FigURIs: []string{"http://fig.fig.svc"}}, "fig", "http://fig.fig.svc"},
		{"http to an https entry", relaxed, "fig", "http://fig-api.fig.svc:8080"},
		{"ip without AllowIPLiterals", allowlist.List{KeyVaultSuffixes: []string{"127.0.0.1"}}, "vault", "https://127.0.0.1/"},
		{"other ip", relaxed, "vault", "https://127.0.0.2:8443/"},
		{"ip under an ip suffix", relaxed, "vault", "https://10.127.0.0.1/"},
		{"vault http even when fig may", relaxed, "vault", "http://orders-kv.vault.azure.net/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := check(tc.list, tc.kind, tc.uri); err == nil {
				t.Errorf("%s %q allowed", tc.kind, tc.uri)
			}
		})
	}
}

// TestFromEntriesDecidesAsTheValidatingList: the agent's list, derived from
// the entries alone, allows exactly what the webhook's list allowed, for
// every probe, whichever relaxations the webhook had.
func TestFromEntriesDecidesAsTheValidatingList(t *testing.T) {
	probes := []struct{ kind, uri string }{
		{"fig", "https://fig-api.fig.svc:8080"}, {"fig", "http://fig-api.fig.svc:8080"},
		{"fig", "http://127.0.0.1:5051/x"}, {"fig", "https://127.0.0.1:5051"}, {"fig", "https://10.0.0.1:5051"},
		{"fig", "https://fig.example/a"}, {"fig", "https://evil.example"},
		{"vault", "https://kv.vault.azure.net/"}, {"vault", "https://127.0.0.1:9/"}, {"vault", "https://127.0.0.2/"},
		{"vault", "https://a.vault.localhost/"}, {"vault", "https://kv.vault.evil.example/"},
		{"secret", "https://127.0.0.1:9/secrets/s"}, {"secret", "https://kv.vault.azure.net/secrets/s"},
	}
	for _, webhook := range []allowlist.List{cluster, relaxed, {FigURIs: relaxed.FigURIs, KeyVaultSuffixes: cluster.KeyVaultSuffixes, AllowHTTP: true, AllowIPLiterals: true}, {}} {
		agent := allowlist.FromEntries(webhook.FigURIs, webhook.KeyVaultSuffixes)
		for _, p := range probes {
			w, a := check(webhook, p.kind, p.uri), check(agent, p.kind, p.uri)
			if (w == nil) != (a == nil) {
				t.Errorf("lists %v / %v, %s %q: webhook says %v, agent says %v", webhook.FigURIs, webhook.KeyVaultSuffixes, p.kind, p.uri, w, a)
			}
		}
	}
}
