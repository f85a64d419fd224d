package allowlist

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	numericLabel = regexp.MustCompile(`^(0x[0-9a-f]*|[0-9]+)$`)
)

// CheckURL applies rules 1-3 (shape, scheme, host) to raw: what every entry
// of a List, and every URI checked against one, must pass. allowHTTP accepts
// http:// besides https://; allowIP accepts IP literals as hosts.
func CheckURL(raw string, allowHTTP, allowIP bool) error {
	_, err := parseURL(raw, allowHTTP, allowIP)
	return err
}

// parseURL applies rules 1-3 and returns the parsed URL.
func parseURL(raw string, allowHTTP, allowIP bool) (*url.URL, error) {
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
	if err := checkHost(u.Hostname(), allowIP); err != nil {
		return nil, err
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p {
			return nil, fmt.Errorf("has an invalid port %q", p)
		}
	}
	return u, nil
}

// checkPath rejects what could make the path mean something else on the
// server than here: escapes (%2e%2e is "..") and dot segments.
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

// checkHost applies rule 3 to a host name (without port or brackets).
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

// CheckSuffix validates one entry of List.KeyVaultSuffixes: a DNS suffix of
// at least two labels (or "localhost"), or, with allowIP, an IP address.
func CheckSuffix(sfx string, allowIP bool) error {
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
