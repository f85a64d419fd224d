package keyvault

import (
	"context"
	"errors"

	"github.com/fig-injector/fig-injector/injector/source"
)

// Ways a Poll detects changes.
const (
	modeNone = "none" // nothing to re-check: only pinned versions
	modeList = "list" // one list pass, then GET what changed
	modeGet  = "get"  // one GET per secret followed at its latest version
)

// Poll checks the secrets of prev's request for changes and returns the new
// snapshot, and whether its entries or resolved references differ from
// prev's (changed: the agent should re-render). It chooses the cheaper way
// (SPEC §2.3):
//
//	| situation                                      | requests when nothing changed |
//	|------------------------------------------------|-------------------------------|
//	| prefix                                         | ⌈vault size/25⌉ (list)        |
//	| n latest secrets, list cost ⌈size/25⌉ < n      | ⌈vault size/25⌉ (list)        |
//	| otherwise, or list forbidden                   | n (GETs)                      |
//	| only pinned versions                           | 0                             |
//
// The list cost is the page count of the last complete list. After a list
// pass, only secrets whose attributes (updated, enabled, nbf, exp) changed,
// or that became usable, are fetched; a new version always changes updated.
// A list that runs past n pages (the vault grew) is abandoned for GETs. New
// prefix secrets appear, deleted or disabled ones disappear. Pinned versions
// are never requested again, but their exp and nbf are re-checked against
// the clock, as are everyone's.
//
// On error, Poll returns prev unchanged with the error (*source.Error, or the
// context's error); a required secret that went missing is such an error, so
// the agent keeps serving the last good values.
func (v *Vault) Poll(ctx context.Context, prev Snapshot) (Snapshot, bool, error) {
	if prev.items == nil || prev.vault != v.url {
		return prev, false, &source.Error{Source: v.source, Op: "poll", Err: errors.New("the snapshot is not from this vault's Fetch")}
	}
	ctx, counter := withCallCounter(ctx)
	now := v.now()
	req := prev.req
	p := newPass(req)
	p.continueFrom(prev.items)
	listCost := prev.listCost

	var targets []id
	mode := v.choose(req, len(p.latest), listCost)
	if mode == modeList {
		budget := 0
		if req.Prefix == "" {
			budget = len(p.latest)
		}
		l, err := v.list(ctx, budget)
		switch {
		case errors.Is(err, errListForbidden):
			v.forbidList()
			if req.Prefix != "" {
				return prev, false, prefixNeedsList(err)
			}
			mode = modeGet
		case err != nil:
			return prev, false, err
		case !l.complete:
			listCost, mode = listTooLong, modeGet
		default:
			listCost = l.cost()
			targets = p.fromListing(l, req.Prefix, now)
		}
	}
	if mode == modeGet {
		targets = p.latest
	}
	if err := v.getAll(ctx, targets, p.names, p.items); err != nil {
		return prev, false, err
	}
	next, err := v.newSnapshot(req, p.items, listCost, now, int(counter.Load()))
	if err != nil {
		return prev, false, err
	}
	changed := !sameOutput(prev, next)
	v.logger.Debug("polled key vault", "mode", mode, "requests", next.requests, "fetched", len(targets), "changed", changed)
	return next, changed, nil
}

// choose picks the way to detect changes for n secrets followed at their
// latest version, given the page count of the last complete list.
func (v *Vault) choose(req Request, n, listCost int) string {
	switch {
	case req.Prefix != "":
		return modeList
	case n == 0:
		return modeNone
	case !v.listForbidden.Load() && listCost > 0 && listCost < n:
		return modeList
	}
	return modeGet
}
