package keyvault

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

// Snapshot is what one vault held for one Request at one moment: every
// tracked secret's value and attributes, the configuration entries and
// resolved references they produce, and what the change detection needs
// next time. A Snapshot is immutable; Poll returns a new one.
type Snapshot struct {
	vault    string
	req      Request
	items    map[id]item
	listCost int // pages of the last complete list: 0 unknown, listTooLong when over budget
	at       time.Time
	entries  []source.Entry
	resolved map[string]secret.Value
	missing  []Secret
	requests int
}

// listTooLong marks a list that was stopped because it cost more pages than
// GETting every tracked secret would.
const listTooLong = int(^uint(0) >> 1)

// Secret describes one tracked secret of a Snapshot. It holds the value as a
// secret.Value, which never prints.
type Secret struct {
	Name    string // as the vault spells it
	Version string // the version held ("" when never fetched)
	Pinned  bool   // a pinned version, never re-polled
	Value   secret.Value
	Updated time.Time // attributes.updated of that version
	// Missing is why the secret counts as missing ("not found", "disabled",
	// "expired at …", "not valid before …"), "" when it is usable.
	Missing string
	// Keys are the configuration keys the secret backs in its Snapshot:
	// those of the explicit mappings that name it (and its version), and
	// for a prefix secret the key its name gives. Set by Snapshot.Secrets.
	Keys []string
	// References are the Raw texts of the request's references that it
	// resolves: the Fig settings holding them take its value too. Set by
	// Snapshot.Secrets.
	References []string
}

// Vault returns the vault URL the snapshot was taken from.
func (s Snapshot) Vault() string { return s.vault }

// Request returns the request the snapshot answers.
func (s Snapshot) Request() Request { return s.req.clone() }

// Entries returns the configuration entries: prefix secrets (OriginPrefix)
// then explicit mappings (OriginExplicit), in precedence order, each sorted
// by key. Secrets that are missing are left out.
func (s Snapshot) Entries() []source.Entry { return slices.Clone(s.entries) }

// PrefixEntries returns the entries of prefix secrets (OriginPrefix), sorted
// by key: the lower of the snapshot's two precedences.
func (s Snapshot) PrefixEntries() []source.Entry { return s.entriesOf(source.OriginPrefix) }

// ExplicitEntries returns the entries of explicit mappings (OriginExplicit),
// sorted by key: they win over prefix secrets and Fig.
func (s Snapshot) ExplicitEntries() []source.Entry { return s.entriesOf(source.OriginExplicit) }

func (s Snapshot) entriesOf(o source.Origin) []source.Entry {
	var out []source.Entry
	for _, e := range s.entries {
		if e.Origin == o {
			out = append(out, e)
		}
	}
	return out
}

// Resolved returns the values of the request's references, keyed by their
// Raw text.
func (s Snapshot) Resolved() map[string]secret.Value { return maps.Clone(s.resolved) }

// Missing returns the optional secrets that were left out, and why.
func (s Snapshot) Missing() []Secret { return slices.Clone(s.missing) }

// Requests returns how many HTTP requests the Fetch or Poll that produced
// the snapshot sent to the vault (retries and challenges included).
func (s Snapshot) Requests() int { return s.requests }

// Secrets returns every tracked secret, sorted by name and version, with
// the keys and references it backs.
func (s Snapshot) Secrets() []Secret {
	out := make([]Secret, 0, len(s.items))
	for k, it := range s.items {
		sec := secretOf(k, it, s.at)
		sec.Keys, sec.References = s.req.backedBy(k, it.name)
		out = append(out, sec)
	}
	slices.SortFunc(out, func(a, b Secret) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.Version, b.Version))
	})
	return out
}

func secretOf(k id, it item, now time.Time) Secret {
	return Secret{Name: it.name, Version: it.version, Pinned: k.version != "", Value: it.value, Updated: it.attrs.updated, Missing: it.missing(now)}
}

// newSnapshot derives entries and references from items at now. A required
// secret (a mapping not marked optional, or a reference) that is missing
// makes it fail with a permanent *source.Error naming every such secret.
func (v *Vault) newSnapshot(req Request, items map[id]item, listCost int, now time.Time, requests int) (Snapshot, error) {
	s := Snapshot{vault: v.url, req: req, items: items, listCost: listCost, at: now, resolved: map[string]secret.Value{}, requests: requests}
	var required []string
	reported := map[id]bool{}
	usable := func(k id, optional bool) (item, bool) {
		it, ok := items[k]
		if !ok {
			it = item{name: k.name}
		}
		why := it.missing(now)
		if why == "" {
			return it, true
		}
		if !reported[k] {
			reported[k] = true
			if optional {
				s.missing = append(s.missing, secretOf(k, it, now))
			} else {
				required = append(required, describe(it.name, k.version)+" ("+why+")")
			}
		}
		return it, false
	}
	for _, m := range req.Secrets {
		if it, ok := usable(idOf(m.Name, m.Version), m.Optional); ok {
			s.entries = append(s.entries, source.Entry{Key: m.Key, Value: it.value, Secret: true, Origin: source.OriginExplicit})
		}
	}
	for _, ref := range req.References {
		if it, ok := usable(idOf(ref.Name, ref.Version), false); ok {
			s.resolved[ref.Raw] = it.value
		}
	}
	for k, it := range items {
		if key, ok := req.prefixKey(k, it.name); ok && it.missing(now) == "" {
			s.entries = append(s.entries, source.Entry{Key: key, Value: it.value, Secret: true, Origin: source.OriginPrefix})
		}
	}
	slices.SortFunc(s.entries, func(a, b source.Entry) int {
		return cmp.Or(cmp.Compare(rank(a.Origin), rank(b.Origin)), cmp.Compare(a.Key, b.Key))
	})
	if len(required) > 0 {
		noun := "secret"
		if len(required) > 1 {
			noun = "secrets"
		}
		return Snapshot{}, &source.Error{
			Source: v.source,
			Op:     "get " + noun,
			Err:    fmt.Errorf("required %s missing: %s", noun, strings.Join(required, ", ")),
			Fix:    "create the secret or mark it optional (a Key Vault reference in Fig must name an existing, enabled, unexpired secret)",
		}
	}
	return s, nil
}

// backedBy returns the configuration keys and the references that the
// secret k (named name in the vault) backs under r.
func (r Request) backedBy(k id, name string) (keys, refs []string) {
	for _, m := range r.Secrets {
		if idOf(m.Name, m.Version) == k {
			keys = append(keys, m.Key)
		}
	}
	if key, ok := r.prefixKey(k, name); ok {
		keys = append(keys, key)
	}
	for _, ref := range r.References {
		if idOf(ref.Name, ref.Version) == k {
			refs = append(refs, ref.Raw)
		}
	}
	return keys, refs
}

// rank orders origins by precedence, lowest first (SPEC §2.1 rule 4).
func rank(o source.Origin) int {
	if o == source.OriginExplicit {
		return 1
	}
	return 0
}

// describe names a secret and, when pinned, its version.
func describe(name, version string) string {
	if version == "" {
		return name
	}
	return name + "/" + version
}

// sameOutput reports whether two snapshots give the agent the same entries
// and references, i.e. whether a re-render is pointless.
func sameOutput(a, b Snapshot) bool {
	return slices.EqualFunc(a.entries, b.entries, func(x, y source.Entry) bool {
		return x.Key == y.Key && x.Origin == y.Origin && x.Secret == y.Secret && x.Value.Equal(y.Value)
	}) && maps.EqualFunc(a.resolved, b.resolved, secret.Value.Equal)
}
