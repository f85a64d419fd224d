package keyvault

import (
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/fig-injector/fig-injector/injector/secret"
)

// attrs are the attributes that decide whether a secret is usable and
// whether it changed. The list returns them for each secret's latest
// version; a GET for the version it returns.
type attrs struct {
	enabled   bool
	notBefore time.Time // zero: none
	expires   time.Time // zero: none
	updated   time.Time
}

func attrsOf(a *azsecrets.SecretAttributes) attrs {
	if a == nil {
		return attrs{enabled: true}
	}
	out := attrs{enabled: a.Enabled == nil || *a.Enabled}
	if a.NotBefore != nil {
		out.notBefore = *a.NotBefore
	}
	if a.Expires != nil {
		out.expires = *a.Expires
	}
	if a.Updated != nil {
		out.updated = *a.Updated
	}
	return out
}

// equal compares every attribute: a change in any of them is a reason to
// fetch the secret again (a new version always changes updated).
func (a attrs) equal(b attrs) bool {
	return a.enabled == b.enabled && a.notBefore.Equal(b.notBefore) && a.expires.Equal(b.expires) && a.updated.Equal(b.updated)
}

// unusable says why a secret with these attributes counts as missing at now
// (SPEC §2.1 rule 5), or "" when it is usable.
func (a attrs) unusable(now time.Time) string {
	switch {
	case !a.enabled:
		return "disabled"
	case !a.notBefore.IsZero() && now.Before(a.notBefore):
		return "not valid before " + a.notBefore.UTC().Format(time.RFC3339)
	case !a.expires.IsZero() && !now.Before(a.expires):
		return "expired at " + a.expires.UTC().Format(time.RFC3339)
	}
	return ""
}

// item is what is known about one tracked secret.
type item struct {
	name    string // as the vault spells it (or as configured, until seen)
	found   bool   // the vault has the secret (or version)
	fetched bool   // value and version hold a GET result
	version string // the version of value
	value   secret.Value
	attrs   attrs
	// fetchedAt is when the GET happened (the vault's clock option).
	fetchedAt time.Time
}

// updateMargin covers attributes.updated's one-second resolution plus
// clock skew: a version fetched less than this after its updated stamp may
// have been superseded within the same second, which a list cannot show.
const updateMargin = 2 * time.Second

// settled reports whether a list showing the same attributes proves the
// item is current: it was fetched well after its version was written.
func (it item) settled() bool {
	return !it.fetchedAt.IsZero() && it.fetchedAt.Sub(it.attrs.updated) >= updateMargin
}

// missing says why the item counts as missing at now, "" when usable.
func (it item) missing(now time.Time) string {
	if !it.found {
		return "not found"
	}
	if why := it.attrs.unusable(now); why != "" {
		return why
	}
	if !it.fetched {
		return "not fetched"
	}
	return ""
}
