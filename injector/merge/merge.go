package merge

import (
	"slices"

	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

// Input is everything one merge needs. Merge does not modify it.
type Input struct {
	// Fig holds the Fig settings, already mapped to .NET keys
	// (contracts/fig-api.md §7), in the order Fig.Client would add them.
	Fig []source.Entry
	// Resolved maps the text of each Key Vault reference found in a Fig value
	// to its secret, as the caller fetched it. Keys may be the trimmed text or
	// the value exactly as Fig sent it. A reference missing here is reported
	// in Result.Unresolved.
	Resolved map[string]secret.Value
	// Prefix holds the prefix-loaded Key Vault secrets (prefix stripped,
	// "--" already turned into ":").
	Prefix []source.Entry
	// Explicit holds the explicitly mapped Key Vault secrets.
	Explicit []source.Entry
}

// Conflict reports a key that two or more different origins set. It names
// the key and the origins, never a value, so it can be logged as is.
type Conflict struct {
	// Key is the key as the winning entry spelled it.
	Key string
	// Origins lists each origin that set the key once, low to high precedence.
	Origins []source.Origin
	// Winner is the origin whose value was kept (the last of Origins).
	Winner source.Origin
}

// Result is the outcome of a merge.
type Result struct {
	// Entries is the merged configuration, one entry per key (compared
	// case-insensitively), sorted by key. Origin says which source won.
	Entries []source.Entry
	// Conflicts lists, sorted by key, each key set by different origins.
	Conflicts []Conflict
	// Unresolved lists, sorted, the keys left out because their Fig value is
	// a Key Vault reference that Input.Resolved does not hold. It is empty
	// when the render is complete; the caller decides whether a non-empty
	// list fails the render.
	Unresolved []string
}

// slot collects everything merge learns about one key.
type slot struct {
	entry      source.Entry    // the current winner
	unresolved bool            // the winner is a Fig reference nobody resolved
	origins    []source.Origin // distinct origins that set the key, in precedence order
}

// Merge applies the rules in the package documentation: reference
// substitution, precedence Fig < prefix < explicit, case-insensitive keys,
// conflict and unresolved-reference reports, and a sorted result.
func Merge(in Input) Result {
	slots := make(map[string]*slot, len(in.Fig)+len(in.Prefix)+len(in.Explicit))
	set := func(e source.Entry, unresolved bool) {
		k := foldKey(e.Key)
		s, ok := slots[k]
		if !ok {
			s = &slot{}
			slots[k] = s
		}
		s.entry, s.unresolved = e, unresolved
		if n := len(s.origins); n == 0 || s.origins[n-1] != e.Origin {
			s.origins = append(s.origins, e.Origin)
		}
	}

	// Layers run low to high, so a later set is always the winner so far.
	for _, e := range in.Fig {
		e.Origin = source.OriginFig
		unresolved := false
		if IsReference(e.Value.Reveal()) {
			v, ok := resolve(in.Resolved, e.Value.Reveal())
			e.Value, e.Secret, unresolved = v, true, !ok
		}
		set(e, unresolved)
	}
	for _, e := range in.Prefix {
		e.Origin, e.Secret = source.OriginPrefix, true
		set(e, false)
	}
	for _, e := range in.Explicit {
		e.Origin, e.Secret = source.OriginExplicit, true
		set(e, false)
	}
	return collect(slots)
}

// collect turns the slots into a sorted Result. The map keys are the folded
// keys, unique by construction, so sorting by them is the case-insensitive
// order without folding again on every comparison.
func collect(slots map[string]*slot) Result {
	folded := make([]string, 0, len(slots))
	for k := range slots {
		folded = append(folded, k)
	}
	slices.Sort(folded)

	var r Result
	for _, k := range folded {
		s := slots[k]
		if s.unresolved {
			r.Unresolved = append(r.Unresolved, s.entry.Key)
		} else {
			r.Entries = append(r.Entries, s.entry)
		}
		if len(s.origins) > 1 {
			r.Conflicts = append(r.Conflicts, Conflict{
				Key:     s.entry.Key,
				Origins: s.origins,
				Winner:  s.origins[len(s.origins)-1],
			})
		}
	}
	return r
}
