// Package hub keeps the relay's subscribers and routes wake-ups to them. It
// knows nothing of HTTP, Fig or Key Vault: the hook receiver and the vault
// watcher publish, the stream server pulls.
//
// Coalescing: a subscriber's pending wake-ups are merged, per client and
// instance and per vault, into one set of names until the subscriber pulls
// them with Take. A flood of hooks for one client while the stream writes
// (or waits its minimum spacing) therefore becomes one line naming every
// changed setting, not one line per hook. Vault state (watched or not) keeps
// only the latest value.
package hub

import (
	"cmp"
	"slices"
	"sync"

	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// Hub is the set of subscriptions. It is safe for concurrent use.
type Hub struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	vaults map[string]vaultState // last known state per vault key
	// onVaults, when set, is called (outside the lock) when the set of
	// subscribed vaults changes.
	onVaults func()
}

type vaultState struct {
	watched  bool
	interval string
	reason   string
}

// New returns an empty hub. onVaults, if not nil, is called after a
// subscription adds or removes a vault from Vaults (the vault watcher
// re-reads the set then instead of waiting for its next pass).
func New(onVaults func()) *Hub {
	return &Hub{subs: map[*Subscription]struct{}{}, vaults: map[string]vaultState{}, onVaults: onVaults}
}

// Subscription is one subscriber's filter and pending wake-ups.
type Subscription struct {
	hub    *Hub
	filter wire.Subscription // Vaults hold VaultKeys
	// pending is guarded by hub.mu.
	settings map[settingsKey]map[string]struct{}
	secrets  map[string]map[string]struct{}
	states   map[string]vaultState
	ready    chan struct{} // capacity 1: something is pending
}

type settingsKey struct{ client, instance string }

// Subscribe adds a subscription. Its vault URLs are reduced to VaultKeys
// (invalid ones dropped); the known state of each vault is pending at once,
// so a new subscriber learns whether to poll a vault itself without waiting
// for the next pass.
func (h *Hub) Subscribe(f wire.Subscription) *Subscription {
	var keys []string
	for _, v := range f.Vaults {
		if k := wire.VaultKey(v); k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	f.Vaults = keys
	s := &Subscription{hub: h, filter: f, ready: make(chan struct{}, 1),
		settings: map[settingsKey]map[string]struct{}{}, secrets: map[string]map[string]struct{}{}, states: map[string]vaultState{}}
	h.mu.Lock()
	before := len(h.vaultSetLocked())
	h.subs[s] = struct{}{}
	for _, k := range keys {
		if st, ok := h.vaults[k]; ok {
			s.states[k] = st
			s.signal()
		}
	}
	changed := len(h.vaultSetLocked()) != before
	h.mu.Unlock()
	if changed && h.onVaults != nil {
		h.onVaults()
	}
	return s
}

// Vaults returns the vault keys that at least one subscriber reads, sorted.
func (h *Hub) Vaults() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.vaultSetLocked()
}

func (h *Hub) vaultSetLocked() []string {
	var out []string
	for s := range h.subs {
		for _, k := range s.filter.Vaults {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Subscribers returns how many subscriptions are open.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// SettingsChanged wakes the subscribers of client: those of instance, or
// every instance when instance is "" (a change to the base client reaches
// instances that have no override of their own; a spurious wake-up only
// costs the agent one fetch). It returns how many subscribers it woke.
func (h *Hub) SettingsChanged(client, instance string, names []string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for s := range h.subs {
		if s.filter.Client != client || (instance != "" && s.filter.Instance != instance) {
			continue
		}
		k := settingsKey{client, instance}
		addNames(s.settings, k, names)
		s.signal()
		n++
	}
	return n
}

// SecretsChanged wakes the subscribers of vault (a VaultKey) about names.
func (h *Hub) SecretsChanged(vault string, names []string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for s := range h.subs {
		if slices.Contains(s.filter.Vaults, vault) {
			addNames(s.secrets, vault, names)
			s.signal()
			n++
		}
	}
	return n
}

// VaultWatched records that vault is listed every interval and tells its
// subscribers, if that is news to them.
func (h *Hub) VaultWatched(vault, interval string) {
	h.setVault(vault, vaultState{watched: true, interval: interval})
}

// VaultUnwatched records that vault cannot be listed (reason) and tells its
// subscribers to keep their own polling, if that is news to them.
func (h *Hub) VaultUnwatched(vault, reason string) {
	h.setVault(vault, vaultState{reason: reason})
}

func (h *Hub) setVault(vault string, st vaultState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.vaults[vault]; ok && old == st {
		return
	}
	h.vaults[vault] = st
	for s := range h.subs {
		if slices.Contains(s.filter.Vaults, vault) {
			s.states[vault] = st
			s.signal()
		}
	}
}

// Apply delivers an event that another replica sent (relay/peers): a
// wake-up or a vault's state. It reports false for any other type.
func (h *Hub) Apply(ev wire.Event) bool {
	switch ev.Type {
	case wire.TypeSettingsChanged:
		h.SettingsChanged(ev.Client, ev.Instance, ev.Settings)
	case wire.TypeSecretsChanged:
		h.SecretsChanged(ev.Vault, ev.Secrets)
	case wire.TypeVaultWatched:
		h.VaultWatched(ev.Vault, ev.Interval)
	case wire.TypeVaultUnwatched:
		h.VaultUnwatched(ev.Vault, ev.Reason)
	default:
		return false
	}
	return true
}

func (st vaultState) event(vault string) wire.Event {
	if st.watched {
		return wire.Event{Type: wire.TypeVaultWatched, Vault: vault, Interval: st.interval}
	}
	return wire.Event{Type: wire.TypeVaultUnwatched, Vault: vault, Reason: st.reason}
}

func addNames[K comparable](m map[K]map[string]struct{}, k K, names []string) {
	set := m[k]
	if set == nil {
		set = map[string]struct{}{}
		m[k] = set
	}
	for _, n := range names {
		set[n] = struct{}{}
	}
}

// signal marks s as having pending wake-ups; hub.mu is held.
func (s *Subscription) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Filter returns the subscription as the hub holds it (vault keys).
func (s *Subscription) Filter() wire.Subscription { return s.filter }

// Ready is signalled when wake-ups are pending; Take collects them (a
// signal may find nothing left when an earlier Take already got it).
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Take returns the pending wake-ups, merged and in a stable order (vault
// states, then settings, then secrets), and clears them.
func (s *Subscription) Take() []wire.Event {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []wire.Event
	for _, v := range sortedKeys(s.states) {
		out = append(out, s.states[v].event(v))
	}
	keys := make([]settingsKey, 0, len(s.settings))
	for k := range s.settings {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b settingsKey) int {
		if a.client != b.client {
			return cmp.Compare(a.client, b.client)
		}
		return cmp.Compare(a.instance, b.instance)
	})
	for _, k := range keys {
		out = append(out, wire.Event{Type: wire.TypeSettingsChanged, Client: k.client, Instance: k.instance, Settings: sortedKeys(s.settings[k])})
	}
	for _, v := range sortedKeys(s.secrets) {
		out = append(out, wire.Event{Type: wire.TypeSecretsChanged, Vault: v, Secrets: sortedKeys(s.secrets[v])})
	}
	clear(s.states)
	clear(s.settings)
	clear(s.secrets)
	return out
}

// Close removes the subscription; pending wake-ups are dropped.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	before := h.vaultSetLocked()
	delete(h.subs, s)
	after := h.vaultSetLocked()
	for _, v := range before {
		if !slices.Contains(after, v) {
			// Forgotten with its last subscriber: a state kept for a vault
			// nobody reads here could tell a later subscriber "watched"
			// after the lister stopped listing it.
			delete(h.vaults, v)
		}
	}
	changed := len(after) != len(before)
	h.mu.Unlock()
	if changed && h.onVaults != nil {
		h.onVaults()
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
