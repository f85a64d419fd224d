package keyvault

import (
	"maps"
	"time"
)

// pass is the working state of one Fetch or Poll: what the request tracks,
// the names to request them by, and the items as they are being updated.
type pass struct {
	latest   []id
	pinned   []id
	names    map[id]string // the name to send in a GET
	items    map[id]item
	isLatest map[id]bool // tracked at latest by a mapping or reference
}

func newPass(req Request) *pass {
	p := &pass{names: map[id]string{}, items: map[id]item{}, isLatest: map[id]bool{}}
	p.latest, p.pinned = req.tracked()
	for _, m := range req.Secrets {
		p.names[idOf(m.Name, m.Version)] = m.Name
	}
	for _, ref := range req.References {
		if k := idOf(ref.Name, ref.Version); p.names[k] == "" {
			p.names[k] = ref.Name
		}
	}
	for _, k := range p.latest {
		p.isLatest[k] = true
	}
	return p
}

// continueFrom starts a Poll from the previous snapshot's items.
func (p *pass) continueFrom(prev map[id]item) { p.items = maps.Clone(prev) }

// fromListing applies a complete listing to the latest-version secrets: the
// tracked ones and, with a prefix, every listed secret that has it. Secrets
// absent from the list are not found; listed ones whose attributes make them
// unusable are recorded without a GET; prefix secrets no longer listed are
// dropped. It returns the secrets to GET: usable ones never fetched, or
// whose attributes differ from those last seen (a new version, or enabled,
// nbf or exp changed), or fetched too soon after their update for equal
// attributes to prove nothing changed since (item.settled).
func (p *pass) fromListing(l listing, prefix string, now time.Time) []id {
	var targets []id
	consider := func(k id, lp listed) {
		old := p.items[k]
		if lp.attrs.unusable(now) != "" {
			old.name, old.found, old.attrs = lp.name, true, lp.attrs
			p.items[k] = old
			return
		}
		if old.found && old.fetched && old.attrs.equal(lp.attrs) && old.settled() {
			return
		}
		p.names[k] = lp.name
		targets = append(targets, k)
	}
	for _, k := range p.latest {
		lp, ok := l.props[k.name]
		if !ok {
			p.items[k] = item{name: p.names[k]}
			continue
		}
		consider(k, lp)
	}
	if prefix == "" {
		return targets
	}
	for k := range p.items {
		if k.version == "" && !p.isLatest[k] {
			if _, ok := l.props[k.name]; !ok {
				delete(p.items, k)
			}
		}
	}
	for lname, lp := range l.props {
		k := id{name: lname}
		if p.isLatest[k] || !hasPrefixFold(lp.name, prefix) {
			continue
		}
		if _, ok := prefixKey(lp.name, prefix); !ok {
			continue
		}
		consider(k, lp)
	}
	return targets
}
