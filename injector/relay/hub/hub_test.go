package hub_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

func TestSettingsChangedReachesOnlyItsClientAndInstance(t *testing.T) {
	h := hub.New(nil)
	orders := h.Subscribe(wire.Subscription{Client: "OrderService"})
	ordersA := h.Subscribe(wire.Subscription{Client: "OrderService", Instance: "A"})
	billing := h.Subscribe(wire.Subscription{Client: "Billing"})

	tests := []struct {
		name             string
		client, instance string
		want             map[*hub.Subscription][]wire.Event
	}{
		{"base client wakes every instance", "OrderService", "", map[*hub.Subscription][]wire.Event{
			orders:  {{Type: wire.TypeSettingsChanged, Client: "OrderService", Settings: []string{"Location"}}},
			ordersA: {{Type: wire.TypeSettingsChanged, Client: "OrderService", Settings: []string{"Location"}}},
		}},
		{"an instance wakes only that instance", "OrderService", "A", map[*hub.Subscription][]wire.Event{
			ordersA: {{Type: wire.TypeSettingsChanged, Client: "OrderService", Instance: "A", Settings: []string{"Location"}}},
		}},
		{"another client wakes nobody here", "Shipping", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.SettingsChanged(tt.client, tt.instance, []string{"Location"})
			for _, s := range []*hub.Subscription{orders, ordersA, billing} {
				if diff := cmp.Diff(tt.want[s], s.Take()); diff != "" {
					t.Errorf("%+v (-want +got):\n%s", s.Filter(), diff)
				}
			}
		})
	}
}

// TestFloodIsCoalescedPerClient: 1,000 hooks for one client while the
// subscriber is busy become one wake-up naming every changed setting.
func TestFloodIsCoalescedPerClient(t *testing.T) {
	h := hub.New(nil)
	s := h.Subscribe(wire.Subscription{Client: "OrderService"})
	for i := range 1000 {
		h.SettingsChanged("OrderService", "", []string{[]string{"A", "B", "C"}[i%3]})
	}
	select {
	case <-s.Ready():
	default:
		t.Fatal("nothing pending after 1,000 hooks")
	}
	got := s.Take()
	want := []wire.Event{{Type: wire.TypeSettingsChanged, Client: "OrderService", Settings: []string{"A", "B", "C"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	select {
	case <-s.Ready():
		t.Errorf("signalled again after Take: %v", s.Take())
	default:
	}
}

func TestVaultStateIsToldOnceAndToNewSubscribers(t *testing.T) {
	const kv = "https://orders-kv.vault.azure.net/"
	vaultsChanged := 0
	h := hub.New(func() { vaultsChanged++ })
	first := h.Subscribe(wire.Subscription{Vaults: []string{"https://ORDERS-kv.vault.azure.net/secrets/x"}})
	if diff := cmp.Diff([]string{kv}, h.Vaults()); diff != "" {
		t.Fatalf("Vaults (-want +got):\n%s", diff)
	}
	h.VaultUnwatched(kv, "403 Forbidden: the relay's identity may not list secrets")
	h.VaultUnwatched(kv, "403 Forbidden: the relay's identity may not list secrets") // no news
	h.SecretsChanged("https://other.vault.azure.net/", []string{"x"})
	want := []wire.Event{{Type: wire.TypeVaultUnwatched, Vault: kv, Reason: "403 Forbidden: the relay's identity may not list secrets"}}
	if diff := cmp.Diff(want, first.Take()); diff != "" {
		t.Errorf("first (-want +got):\n%s", diff)
	}
	late := h.Subscribe(wire.Subscription{Vaults: []string{kv}})
	if diff := cmp.Diff(want, late.Take()); diff != "" {
		t.Errorf("late subscriber (-want +got):\n%s", diff)
	}
	h.SecretsChanged(kv, []string{"db-password"})
	for _, s := range []*hub.Subscription{first, late} {
		if diff := cmp.Diff([]wire.Event{{Type: wire.TypeSecretsChanged, Vault: kv, Secrets: []string{"db-password"}}}, s.Take()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
	first.Close()
	late.Close()
	if len(h.Vaults()) != 0 || h.Subscribers() != 0 {
		t.Errorf("after Close: vaults %v, subscribers %d", h.Vaults(), h.Subscribers())
	}
	if vaultsChanged != 2 {
		t.Errorf("onVaults called %d times, want 2 (first vault added, last removed)", vaultsChanged)
	}
}

// TestVaultStateIsForgottenWithItsLastSubscriber: a later subscriber is
// not told "watched" from a state kept while nobody here read the vault
// (the lister may have stopped listing it meanwhile).
func TestVaultStateIsForgottenWithItsLastSubscriber(t *testing.T) {
	const kv = "https://orders-kv.vault.azure.net/"
	h := hub.New(nil)
	s := h.Subscribe(wire.Subscription{Vaults: []string{kv}})
	h.VaultWatched(kv, "1m0s")
	if diff := cmp.Diff([]wire.Event{{Type: wire.TypeVaultWatched, Vault: kv, Interval: "1m0s"}}, s.Take()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	s.Close()
	if got := h.Subscribe(wire.Subscription{Vaults: []string{kv}}).Take(); got != nil {
		t.Errorf("a new subscriber was told %v", got)
	}
}

// TestApply: what another replica forwards reaches the matching
// subscribers as if it happened here; other types are refused.
func TestApply(t *testing.T) {
	const kv = "https://orders-kv.vault.azure.net/"
	h := hub.New(nil)
	s := h.Subscribe(wire.Subscription{Client: "OrderService", Vaults: []string{kv}})
	tests := []struct {
		ev     wire.Event
		wantOK bool
		want   []wire.Event
	}{
		{wire.Event{Type: wire.TypeSettingsChanged, Client: "OrderService", Settings: []string{"Location"}}, true,
			[]wire.Event{{Type: wire.TypeSettingsChanged, Client: "OrderService", Settings: []string{"Location"}}}},
		{wire.Event{Type: wire.TypeSecretsChanged, Vault: kv, Secrets: []string{"api-key"}}, true,
			[]wire.Event{{Type: wire.TypeSecretsChanged, Vault: kv, Secrets: []string{"api-key"}}}},
		{wire.Event{Type: wire.TypeVaultWatched, Vault: kv, Interval: "1m0s"}, true,
			[]wire.Event{{Type: wire.TypeVaultWatched, Vault: kv, Interval: "1m0s"}}},
		{wire.Event{Type: wire.TypeVaultUnwatched, Vault: kv, Reason: "403"}, true,
			[]wire.Event{{Type: wire.TypeVaultUnwatched, Vault: kv, Reason: "403"}}},
		{wire.Event{Type: wire.TypeHello, Client: "OrderService"}, false, nil},
	}
	for _, tt := range tests {
		if ok := h.Apply(tt.ev); ok != tt.wantOK {
			t.Errorf("Apply(%s) = %v", tt.ev.Type, ok)
		}
		if diff := cmp.Diff(tt.want, s.Take()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.ev.Type, diff)
		}
	}
}
