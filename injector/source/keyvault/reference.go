package keyvault

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/fig-injector/fig-injector/injector/rules"
)

// DefaultDNSSuffix is the Key Vault DNS suffix of the Azure public cloud.
// Sovereign clouds use others (vault.azure.cn, vault.usgovcloudapi.net).
const DefaultDNSSuffix = "vault.azure.net"

// referencePrefix starts every App Service style Key Vault reference.
const referencePrefix = "@microsoft.keyvault"

// acceptedForms ends every reference error, so the fix is in the message.
const acceptedForms = "accepted forms: @Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<name>[/<version>]) " +
	"and @Microsoft.KeyVault(VaultName=<vault>;SecretName=<name>[;SecretVersion=<version>])"

// Ref is a parsed Key Vault reference: which secret, in which vault, at which
// version.
type Ref struct {
	// Raw is the text the reference was parsed from, unchanged: the key of
	// Snapshot.Resolved, so the merge step can find the value for the Fig
	// setting that held the reference.
	Raw string
	// VaultURL is the vault, normalised to "https://host[:port]/" with the
	// host in lower case and the default port dropped.
	VaultURL string
	// VaultName is the name given with VaultName=, "" for SecretUri=.
	VaultName string
	// Name is the secret name.
	Name string
	// Version is the pinned version, "" for the latest.
	Version string
}

// Parser parses Key Vault references. The zero value resolves VaultName=
// references in the public cloud.
type Parser struct {
	// DNSSuffix turns VaultName=kv into https://kv.<DNSSuffix>/; default
	// DefaultDNSSuffix.
	DNSSuffix string
	// Vaults maps vault names (compared case-insensitively) to the URLs of
	// explicitly configured vaults. A VaultName= reference to one of them
	// resolves to its URL instead of the DNS-suffix form, which is how a
	// reference reaches an emulator or a vault behind a private endpoint name.
	Vaults map[string]string
}

// NewParser returns a Parser for dnsSuffix ("" for the default) that
// resolves the names of vaults to their URLs (see VaultOptions.Name).
func NewParser(dnsSuffix string, vaults ...*Vault) Parser {
	p := Parser{DNSSuffix: dnsSuffix, Vaults: make(map[string]string, len(vaults))}
	for _, v := range vaults {
		p.Vaults[strings.ToLower(v.Name())] = v.URL()
	}
	return p
}

// ParseReference parses s with the zero Parser (public cloud).
func ParseReference(s string) (Ref, bool, error) { return Parser{}.Parse(s) }

// Parse reports whether s is a Key Vault reference (ok) and parses it.
//
// s is a reference when, after surrounding white space, it starts with
// "@Microsoft.KeyVault" followed by "(" (case-insensitive; spaces allowed
// between). Anything else is an ordinary value: ok is false and err nil.
// A reference that is malformed is an error saying what is wrong, followed
// by the accepted forms. Inside the parentheses, keys are case-insensitive,
// pairs are separated by ";" (a trailing ";" is allowed), and spaces around
// keys, values and separators are ignored:
//
//	@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/name)
//	@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/name/)
//	@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/name/version)
//	@Microsoft.KeyVault(VaultName=kv;SecretName=name)
//	@Microsoft.KeyVault(VaultName=kv;SecretName=name;SecretVersion=version)
//
// An empty SecretVersion means the latest version, as a trailing slash does
// in a SecretUri.
func (p Parser) Parse(s string) (ref Ref, ok bool, err error) {
	body, ok := referenceBody(s)
	if !ok {
		return Ref{}, false, nil
	}
	fail := func(format string, args ...any) (Ref, bool, error) {
		return Ref{}, true, fmt.Errorf("key vault reference %s: %s; %s", quote(s), fmt.Sprintf(format, args...), acceptedForms)
	}
	switch i := strings.Index(body, ")"); {
	case i < 0:
		return fail(`missing the closing ")"`)
	case i != len(body)-1:
		return fail(`unexpected text after the closing ")"`)
	}
	pairs, err := splitPairs(strings.TrimSuffix(body, ")"))
	if err != nil {
		return fail("%v", err)
	}
	ref = Ref{Raw: s}
	switch uri, hasURI := pairs["secreturi"]; {
	case hasURI:
		for k := range pairs {
			if k != "secreturi" {
				return fail("SecretUri cannot be combined with %s", keyNames[k])
			}
		}
		if ref, err = parseSecretURI(uri); err != nil {
			return fail("SecretUri: %v", err)
		}
		ref.Raw = s
	default:
		vault, name, version := pairs["vaultname"], pairs["secretname"], pairs["secretversion"]
		if _, has := pairs["vaultname"]; !has {
			return fail("neither SecretUri nor VaultName is given")
		}
		if _, has := pairs["secretname"]; !has {
			return fail("SecretName is missing")
		}
		if !rules.VaultName(vault) {
			return fail("VaultName %q is not a vault name ("+rules.VaultNameRule+")", vault)
		}
		ref.VaultName, ref.Name, ref.Version = vault, name, version
		ref.VaultURL = p.vaultURL(vault)
	}
	if !rules.SecretName(ref.Name) {
		return fail("secret name %q is not valid ("+rules.SecretNameRule+")", ref.Name)
	}
	if ref.Version != "" && !rules.SecretVersion(ref.Version) {
		return fail("secret version %q is not valid ("+rules.SecretVersionRule+")", ref.Version)
	}
	return ref, true, nil
}

// ParseSecretURI parses a bare secret URI such as
// https://kv.vault.azure.net/secrets/name[/version] (fig.clientSecret.keyVault).
func ParseSecretURI(uri string) (Ref, error) {
	ref, err := parseSecretURI(strings.TrimSpace(uri))
	if err != nil {
		return Ref{}, fmt.Errorf("key vault secret URI %s: %w; use https://<vault>.vault.azure.net/secrets/<name>[/<version>]", quote(uri), err)
	}
	if !rules.SecretName(ref.Name) {
		return Ref{}, fmt.Errorf("key vault secret URI %s: secret name %q is not valid ("+rules.SecretNameRule+")", quote(uri), ref.Name)
	}
	if ref.Version != "" && !rules.SecretVersion(ref.Version) {
		return Ref{}, fmt.Errorf("key vault secret URI %s: secret version %q is not valid ("+rules.SecretVersionRule+")", quote(uri), ref.Version)
	}
	ref.Raw = uri
	return ref, nil
}

// keyNames spells the accepted keys for messages.
var keyNames = map[string]string{
	"secreturi":     "SecretUri",
	"vaultname":     "VaultName",
	"secretname":    "SecretName",
	"secretversion": "SecretVersion",
}

// referenceBody returns what follows "@Microsoft.KeyVault(" in s (trimmed),
// and whether s has that shape at all.
func referenceBody(s string) (string, bool) {
	t := strings.TrimSpace(s)
	if len(t) < len(referencePrefix) || !strings.EqualFold(t[:len(referencePrefix)], referencePrefix) {
		return "", false
	}
	rest := strings.TrimLeft(t[len(referencePrefix):], " \t")
	if !strings.HasPrefix(rest, "(") {
		return "", false
	}
	return rest[1:], true
}

// splitPairs parses "k=v;k=v" into lower-case keys. Unknown, duplicate and
// value-less keys are errors.
func splitPairs(s string) (map[string]string, error) {
	pairs := map[string]string{}
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, found := strings.Cut(part, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		name, known := keyNames[k]
		switch {
		case !found:
			return nil, fmt.Errorf("%s has no \"=\"", quote(part))
		case !known:
			return nil, fmt.Errorf("unknown key %s", quote(strings.TrimSpace(part[:strings.Index(part, "=")])))
		case v == "" && k != "secretversion":
			return nil, fmt.Errorf("%s is empty", name)
		}
		if _, dup := pairs[k]; dup {
			return nil, fmt.Errorf("%s is given twice", name)
		}
		pairs[k] = v
	}
	if len(pairs) == 0 {
		return nil, errors.New("the parentheses are empty")
	}
	return pairs, nil
}

// hostPattern accepts DNS names, IPv4 and bracketed IPv6 hosts with an
// optional port (emulators listen on loopback ports).
var hostPattern = regexp.MustCompile(`^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:[0-9]{1,5})?$`)

// parseSecretURI parses https://host/secrets/name[/version][/].
func parseSecretURI(s string) (Ref, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return Ref{}, errors.New("not a URL")
	case !strings.EqualFold(u.Scheme, "https"):
		return Ref{}, errors.New("not an https URL")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return Ref{}, errors.New("user info, query and fragment are not allowed")
	}
	vaultURL, err := normalizeVaultURL(u.Host)
	if err != nil {
		return Ref{}, err
	}
	segs := strings.Split(strings.TrimSuffix(strings.TrimPrefix(u.EscapedPath(), "/"), "/"), "/")
	if len(segs) < 2 || len(segs) > 3 || !strings.EqualFold(segs[0], "secrets") {
		return Ref{}, errors.New("the path is not /secrets/<name>[/<version>]")
	}
	ref := Ref{VaultURL: vaultURL, Name: segs[1]}
	if len(segs) == 3 {
		ref.Version = segs[2]
	}
	return ref, nil
}

// normalizeVaultURL returns "https://host[:port]/" for a URL host, lower
// case, without the default port.
func normalizeVaultURL(host string) (string, error) {
	host = strings.TrimSuffix(strings.ToLower(host), ":443")
	if !hostPattern.MatchString(host) {
		return "", fmt.Errorf("host %q is not a host name", host)
	}
	return "https://" + host + "/", nil
}

// vaultURL resolves a VaultName: a configured vault of that name, else the
// DNS-suffix form.
func (p Parser) vaultURL(name string) string {
	for k, u := range p.Vaults {
		if strings.EqualFold(k, name) {
			return u
		}
	}
	suffix := strings.Trim(strings.ToLower(p.DNSSuffix), ".")
	if suffix == "" {
		suffix = DefaultDNSSuffix
	}
	return "https://" + strings.ToLower(name) + "." + suffix + "/"
}

// quote quotes s for a message, cut to a readable length: references are
// not secrets, but a long value in an error line helps nobody.
func quote(s string) string {
	const limit = 160
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return fmt.Sprintf("%q", s)
}
