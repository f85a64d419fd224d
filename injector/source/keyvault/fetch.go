package keyvault

import (
	"context"
	"errors"

	"github.com/fig-injector/fig-injector/injector/source"
)

// Fetch reads everything req asks for and returns the first Snapshot; later
// Polls keep it current. It costs one GET per usable tracked secret, plus a
// list pass (⌈vault size / 25⌉ requests) when req has a prefix, or when two
// or more secrets are followed at their latest version: then the list also
// measures the vault, so that Poll can tell which way of detecting changes
// is cheaper. That measuring list stops once it has cost as many pages as
// there are such secrets (listing could then never be the cheaper way).
//
// Missing secrets (not found, disabled, expired, not yet valid) are left out
// when optional and fail Fetch when required: see Snapshot. A list refused
// with 403 switches the vault to GETs for good, unless req has a prefix,
// which cannot work without listing. Errors are *source.Error, or the
// context's error when ctx ended.
func (v *Vault) Fetch(ctx context.Context, req Request) (Snapshot, error) {
	if err := req.validate(v.url); err != nil {
		return Snapshot{}, &source.Error{Source: v.source, Op: "fetch", Err: err, Fix: "correct the vault's secrets/prefix in the agent config or the Key Vault reference"}
	}
	req = req.clone()
	ctx, counter := withCallCounter(ctx)
	now := v.now()
	p := newPass(req)

	var l *listing
	if req.Prefix != "" || len(p.latest) >= 2 && !v.listForbidden.Load() {
		budget := 0
		if req.Prefix == "" {
			budget = len(p.latest)
		}
		got, err := v.list(ctx, budget)
		switch {
		case errors.Is(err, errListForbidden):
			v.forbidList()
			if req.Prefix != "" {
				return Snapshot{}, prefixNeedsList(err)
			}
		case err != nil:
			return Snapshot{}, err
		default:
			l = &got
		}
	}

	listCost := 0
	targets := append([]id(nil), p.pinned...)
	if l != nil && l.complete {
		listCost = l.cost()
		targets = append(targets, p.fromListing(*l, req.Prefix, now)...)
	} else {
		if l != nil {
			listCost = listTooLong
		}
		targets = append(targets, p.latest...)
	}
	if err := v.getAll(ctx, targets, p.names, p.items); err != nil {
		return Snapshot{}, err
	}
	return v.newSnapshot(req, p.items, listCost, now, int(counter.Load()))
}

// forbidList switches the vault to GET-based change detection for good and
// says so once.
func (v *Vault) forbidList() {
	if v.listForbidden.CompareAndSwap(false, true) {
		v.logger.Warn("listing secrets is forbidden for this identity; checking each mapped secret with a GET from now on",
			"fix", "grant list permission ('Key Vault Secrets User' includes it) to detect changes with fewer requests")
	}
}

// prefixNeedsList turns a forbidden list into the error of a prefix load.
func prefixNeedsList(err error) error {
	var se *source.Error
	if !errors.As(err, &se) {
		return err
	}
	out := *se
	out.Temporary = false
	out.Fix = "a prefix needs list permission: grant the pod's identity 'Key Vault Secrets User' on the vault (or list in its access policy), or replace the prefix with explicit secret mappings"
	return &out
}
