package allowlist

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/fig-injector/fig-injector/injector/rules"
)

// List is where an agent may send the Fig client secret and its Azure
// tokens. The zero List allows nothing: an empty FigURIs allows no Fig API,
// an empty KeyVaultSuffixes no vault.
//
// The Check methods return an error that completes a sentence whose subject
// is the URI (`"https://x" is not https`), so callers prefix the URI and the
// place it came from.
type List struct {
	// FigURIs are URL prefixes of the allowed Fig APIs (rule 4). Entries must
	// pass CheckURL with the same AllowHTTP and AllowIPLiterals.
	FigURIs []string
	// KeyVaultSuffixes are DNS suffixes of the allowed vaults (rule 5):
	// vault.azure.net allows orders-kv.vault.azure.net, but not
	// vault.azure.net itself nor evilvault.azure.net. Entries must pass
	// CheckSuffix.
	KeyVaultSuffixes []string
	// AllowHTTP accepts http:// Fig URIs (in-cluster Fig without TLS).
	AllowHTTP bool
	// AllowIPLiterals accepts IP addresses as hosts; a vault host that is an
	// IP must then equal a KeyVaultSuffixes entry.
	AllowIPLiterals bool
}

// FromEntries returns the List that enforces entries someone has already
// validated (the webhook, against its own AllowHTTP and AllowIPLiterals):
// http is accepted when some Fig entry uses it, IP literals when some entry
// is one. It decides exactly as the validating List did, because an http URI
// can only match an entry of the same scheme, and an IP host only an entry
// with that IP; only the wording of a refusal can differ. The agent uses it
// for the lists the webhook hands over in its environment.
func FromEntries(figURIs, keyVaultSuffixes []string) List {
	l := List{FigURIs: figURIs, KeyVaultSuffixes: keyVaultSuffixes}
	for _, e := range figURIs {
		if u, err := url.Parse(e); err == nil {
			l.AllowHTTP = l.AllowHTTP || u.Scheme == "http"
			l.AllowIPLiterals = l.AllowIPLiterals || net.ParseIP(u.Hostname()) != nil
		}
	}
	for _, s := range keyVaultSuffixes {
		l.AllowIPLiterals = l.AllowIPLiterals || net.ParseIP(s) != nil
	}
	return l
}

// CheckFigURI applies rules 1-4 to one Fig API URI.
func (l List) CheckFigURI(raw string) error {
	u, err := parseURL(raw, l.AllowHTTP, l.AllowIPLiterals)
	if err != nil {
		return err
	}
	for _, a := range l.FigURIs {
		au, err := url.Parse(a)
		if err != nil {
			continue
		}
		if sameOrigin(u, au) && underPath(u.Path, au.Path) {
			return nil
		}
	}
	if len(l.FigURIs) == 0 {
		return errors.New("names a Fig API, but the allowlist of Fig API URIs is empty")
	}
	return fmt.Errorf("is not in the allowlist (%s)", strings.Join(l.FigURIs, ", "))
}

// CheckKeyVaultURL applies rules 1-3 and 5 to a vault URL (path "" or "/").
func (l List) CheckKeyVaultURL(raw string) error {
	u, err := parseURL(raw, false, l.AllowIPLiterals)
	if err != nil {
		return err
	}
	if u.Path != "" && u.Path != "/" {
		return errors.New("has a path; a vault URL is https://<vault>.vault.azure.net/")
	}
	return l.CheckVaultHost(u.Hostname())
}

// CheckKeyVaultSecretURI applies rules 1-3 and 5 to a secret URI
// (https://<vault>/secrets/<name>[/<version>]).
func (l List) CheckKeyVaultSecretURI(raw string) error {
	u, err := parseURL(raw, false, l.AllowIPLiterals)
	if err != nil {
		return err
	}
	if !secretPath(u.Path) {
		return errors.New("is not a secret URI https://<vault>.vault.azure.net/secrets/<name>[/<version>]")
	}
	return l.CheckVaultHost(u.Hostname())
}

// CheckVaultHost applies rule 5 to a host name (without port or brackets)
// that already passed rule 3.
func (l List) CheckVaultHost(host string) error {
	ip := net.ParseIP(host)
	for _, sfx := range l.KeyVaultSuffixes {
		sfx = strings.ToLower(strings.TrimPrefix(sfx, "."))
		if ip != nil {
			if sip := net.ParseIP(sfx); sip != nil && sip.Equal(ip) {
				return nil
			}
			continue
		}
		if strings.HasSuffix(host, "."+sfx) {
			return nil
		}
	}
	if len(l.KeyVaultSuffixes) == 0 {
		return errors.New("names a vault, but the allowlist of Key Vault DNS suffixes is empty")
	}
	return fmt.Errorf("is not under an allowed Key Vault DNS suffix (%s)", strings.Join(l.KeyVaultSuffixes, ", "))
}

// secretPath reports whether p is the path of a secret URI:
// /secrets/<name>[/<version>][/].
func secretPath(p string) bool {
	rest, ok := strings.CutPrefix(p, "/secrets/")
	name, version, hasVersion := strings.Cut(strings.TrimSuffix(rest, "/"), "/")
	return ok && rules.SecretName(name) && (!hasVersion || rules.SecretVersion(version))
}

// sameOrigin compares scheme, host and port (default ports made explicit).
func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && strings.EqualFold(a.Hostname(), b.Hostname()) && portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "http" {
		return "80"
	}
	return "443"
}

// underPath reports whether p is prefix or below it, on a segment boundary.
func underPath(p, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return prefix == "" || p == prefix || strings.HasPrefix(p, prefix+"/")
}
