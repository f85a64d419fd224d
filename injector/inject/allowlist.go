package inject

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/fig-injector/fig-injector/injector/config"
)

// The allowlists keep a pod from pointing the agent, and the token it sends,
// at another server. Every URI a pod names (annotations, or the config in
// its ConfigMap) passes checkURL and then the list for its kind:
//
//  1. Shape: absolute, no opaque form, no user info (user@host), no query or
//     fragment, no "%" escapes, backslashes or ".." segments in the path.
//  2. Scheme: https; http only when Settings.AllowHTTP (Fig URIs only).
//  3. Host: lower-case ASCII letters, digits, '-' and '.' labels; no
//     punycode ("xn--") labels, no trailing dot, and a last label that is not
//     numeric (glibc resolves "2130706433" or "127.1" to an address). IP
//     literals only when Settings.AllowIPLiterals.
//  4. Fig URIs: scheme, host and port equal to an allowed entry's, path the
//     entry's path or below it (a segment boundary: /fig does not allow /figx).
//  5. Key Vault URLs: host ends with "."+suffix of an allowed DNS suffix (an
//     IP literal must equal an entry).

var (
	dnsLabel       = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	numericLabel   = regexp.MustCompile(`^(0x[0-9a-f]*|[0-9]+)$`)
	vaultSecretRef = regexp.MustCompile(`^/secrets/([0-9A-Za-z-]{1,127})(/[0-9A-Za-z]{1,64})?/?$`)
)

// checkURL applies rules 1-3 and returns the parsed URL.
func (s *Settings) checkURL(raw string, allowHTTP bool) error {
	_, err := s.parseURL(raw, allowHTTP)
	return err
}

func (s *Settings) parseURL(raw string, allowHTTP bool) (*url.URL, error) {
	for _, r := range raw {
		if r <= ' ' || r == 0x7f || r == '\\' {
			return nil, errors.New("contains whitespace, control characters or backslashes")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("is not a URL")
	}
	switch {
	case u.Opaque != "" || u.Host == "":
		return nil, errors.New("is not an absolute URL")
	case u.User != nil:
		return nil, errors.New("contains user info (user@host)")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(raw, "?#"):
		return nil, errors.New("has a query or fragment")
	case u.Scheme == "http" && !allowHTTP:
		return nil, errors.New("is not https")
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, errors.New("is not https")
	}
	if err := checkPath(raw, u); err != nil {
		return nil, err
	}
	if err := checkHost(u.Hostname(), s.AllowIPLiterals); err != nil {
		return nil, err
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 || fmt.Sprint(n) != p {
			return nil, fmt.Errorf("has an invalid port %q", p)
		}
	}
	return u, nil
}

func checkPath(raw string, u *url.URL) error {
	rest := raw[len(u.Scheme)+3:] // after "scheme://"
	if strings.Contains(rest, "%") {
		return errors.New("contains percent-encoding")
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == ".." || seg == "." {
			return errors.New(`has "." or ".." path segments`)
		}
	}
	return nil
}

// checkHost applies rule 3 to a hostname (without port or brackets).
func checkHost(host string, allowIP bool) error {
	if ip := net.ParseIP(host); ip != nil {
		if !allowIP {
			return errors.New("is an IP address, not a host name")
		}
		return nil
	}
	if host == "" || len(host) > 253 {
		return errors.New("has no valid host name")
	}
	for _, r := range host {
		if r >= 0x80 {
			return errors.New("has a non-ASCII (internationalised) host name")
		}
	}
	if host != strings.ToLower(host) {
		return errors.New("has upper-case letters in the host name")
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		switch {
		case l == "":
			return errors.New("has an empty label or a trailing dot in the host name")
		case strings.HasPrefix(l, "xn--"):
			return errors.New("has a punycode (xn--) label in the host name")
		case !dnsLabel.MatchString(l):
			return fmt.Errorf("has an invalid host name label %q", l)
		}
	}
	if numericLabel.MatchString(labels[len(labels)-1]) {
		return errors.New("has a numeric host name (an address in disguise)")
	}
	return nil
}

// checkSuffix validates an AllowedKeyVaultSuffixes entry.
func checkSuffix(sfx string, allowIP bool) error {
	if net.ParseIP(sfx) != nil {
		if !allowIP {
			return errors.New("is an IP address; set allowIpLiterals to allow it")
		}
		return nil
	}
	if strings.Count(sfx, ".") < 1 && sfx != "localhost" {
		return errors.New("is a top-level domain; name the service's suffix, e.g. vault.azure.net")
	}
	return checkHost(sfx, false)
}

// checkFigURI applies rules 1-4 to one Fig API URI.
func (s *Settings) checkFigURI(raw string) error {
	u, err := s.parseURL(raw, s.AllowHTTP)
	if err != nil {
		return err
	}
	allowed := append(config.SplitURIs(s.FigAPIURI), s.AllowedFigURIs...)
	for _, a := range allowed {
		au, err := url.Parse(a)
		if err != nil {
			continue
		}
		if sameOrigin(u, au) && underPath(u.Path, au.Path) {
			return nil
		}
	}
	return fmt.Errorf("is not in the allowlist (%s)", strings.Join(allowed, ", "))
}

// checkKeyVaultURL applies rules 1-3 and 5 to a vault URL (path "" or "/").
func (s *Settings) checkKeyVaultURL(raw string) error {
	u, err := s.parseURL(raw, false)
	if err != nil {
		return err
	}
	if u.Path != "" && u.Path != "/" {
		return errors.New("has a path; a vault URL is https://<vault>.vault.azure.net/")
	}
	return s.checkVaultHost(u.Hostname())
}

// checkKeyVaultSecretURI applies rules 1-3 and 5 to a secret URI
// (https://<vault>/secrets/<name>[/<version>]).
func (s *Settings) checkKeyVaultSecretURI(raw string) error {
	u, err := s.parseURL(raw, false)
	if err != nil {
		return err
	}
	if !vaultSecretRef.MatchString(u.Path) {
		return errors.New("is not a secret URI https://<vault>.vault.azure.net/secrets/<name>[/<version>]")
	}
	return s.checkVaultHost(u.Hostname())
}

func (s *Settings) checkVaultHost(host string) error {
	for _, sfx := range s.AllowedKeyVaultSuffixes {
		sfx = strings.ToLower(strings.TrimPrefix(sfx, "."))
		if net.ParseIP(host) != nil {
			if net.ParseIP(sfx) != nil && net.ParseIP(sfx).Equal(net.ParseIP(host)) {
				return nil
			}
			continue
		}
		if strings.HasSuffix(host, "."+sfx) {
			return nil
		}
	}
	if len(s.AllowedKeyVaultSuffixes) == 0 {
		return errors.New("names a vault, but the allowlist of Key Vault DNS suffixes is empty")
	}
	return fmt.Errorf("is not under an allowed Key Vault DNS suffix (%s)", strings.Join(s.AllowedKeyVaultSuffixes, ", "))
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
