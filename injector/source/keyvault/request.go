package keyvault

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fig-injector/fig-injector/injector/rules"
)

// Request says what to read from one vault. The agent builds it from the
// vault's config entry and from the references found in Fig values.
type Request struct {
	// Prefix, when not empty, loads every usable secret whose name starts
	// with it (case-insensitively): the key is the name minus the prefix
	// with "--" turned into ":" (SPEC §2.1 rule 3). Needs list permission.
	Prefix string
	// Secrets are the explicit mappings.
	Secrets []Mapping
	// References are Key Vault references to this vault, resolved into
	// Snapshot.Resolved by their Raw text. They are required: a reference
	// to a missing secret is an error.
	References []Ref
}

// Mapping maps one secret to one configuration key (keyVaults[].secrets[]).
type Mapping struct {
	// Name is the secret name.
	Name string
	// Key is the configuration key, ":"-separated.
	Key string
	// Version pins a version; a pinned secret is fetched once and never
	// re-polled. Empty means the latest version, checked every Poll.
	Version string
	// Optional leaves a missing secret out instead of failing.
	Optional bool
}

// Equal reports whether r and o ask for the same secrets with the same keys:
// the same prefix, mappings and references, in the same order. A nil list
// equals an empty one (a Snapshot holds a copy, in which an empty list may
// have become nil).
func (r Request) Equal(o Request) bool {
	return r.Prefix == o.Prefix && slices.Equal(r.Secrets, o.Secrets) && slices.Equal(r.References, o.References)
}

// IsEmpty reports whether r asks for nothing (a vault no Fig value
// references any longer, and that has no configuration of its own).
func (r Request) IsEmpty() bool {
	return r.Prefix == "" && len(r.Secrets) == 0 && len(r.References) == 0
}

// prefixKey returns the configuration key a prefix secret of r gets: none
// for a pinned version (prefix secrets are followed at their latest), a name
// without r's prefix, or a name that is only the prefix.
func (r Request) prefixKey(k id, name string) (key string, ok bool) {
	if r.Prefix == "" || k.version != "" || !hasPrefixFold(name, r.Prefix) {
		return "", false
	}
	return prefixKey(name, r.Prefix)
}

// id identifies a tracked secret: its name in lower case (Key Vault names
// are case-insensitive) and the pinned version, "" for the latest.
type id struct{ name, version string }

func idOf(name, version string) id { return id{strings.ToLower(name), version} }

// validate checks req against the vault it is sent to.
func (r Request) validate(vaultURL string) error {
	if r.Prefix != "" && !rules.SecretNamePrefix(r.Prefix) {
		return fmt.Errorf("prefix %q: a secret name cannot start with it ("+rules.SecretPrefixRule+")", r.Prefix)
	}
	for _, m := range r.Secrets {
		if !rules.SecretName(m.Name) {
			return fmt.Errorf("secret %q: not a secret name ("+rules.SecretNameRule+")", m.Name)
		}
		if m.Version != "" && !rules.SecretVersion(m.Version) {
			return fmt.Errorf("secret %s: version %q is not valid ("+rules.SecretVersionRule+")", m.Name, m.Version)
		}
		if strings.TrimSpace(m.Key) == "" {
			return fmt.Errorf("secret %s: no configuration key", m.Name)
		}
	}
	for _, ref := range r.References {
		if ref.VaultURL != vaultURL {
			return fmt.Errorf("reference %s is for vault %s, not this one", quote(ref.Raw), ref.VaultURL)
		}
		if !rules.SecretName(ref.Name) || ref.Version != "" && !rules.SecretVersion(ref.Version) {
			return fmt.Errorf("reference %s: invalid secret name or version", quote(ref.Raw))
		}
	}
	return nil
}

// tracked returns, as latest, the secrets followed at their latest version
// by a mapping or reference (prefix secrets come from the list), and as
// pinned the ones fetched once at a fixed version; both without duplicates,
// in request order.
func (r Request) tracked() (latest []id, pinned []id) {
	seen := map[id]bool{}
	add := func(name, version string) {
		k := idOf(name, version)
		if seen[k] {
			return
		}
		seen[k] = true
		if version == "" {
			latest = append(latest, k)
		} else {
			pinned = append(pinned, k)
		}
	}
	for _, m := range r.Secrets {
		add(m.Name, m.Version)
	}
	for _, ref := range r.References {
		add(ref.Name, ref.Version)
	}
	return latest, pinned
}

// clone copies r so a Snapshot cannot be changed through the caller's slices.
func (r Request) clone() Request {
	r.Secrets = append([]Mapping(nil), r.Secrets...)
	r.References = append([]Ref(nil), r.References...)
	return r
}
