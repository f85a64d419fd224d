package keyvault_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/keyvault"
)

// TestSnapshotSaysWhatEachSecretBacks: the agent learns from the snapshot
// which configuration keys and references each secret backs, instead of
// re-deriving keyvault's mapping rules ("--" becomes ":" after the prefix).
func TestSnapshotSaysWhatEachSecretBacks(t *testing.T) {
	e := newEnv(t)
	v1 := e.set("App--Db--Password", "first")
	e.set("App--Db--Password", "second")
	e.set("api-key", "k3y")
	v := e.vault(keyvault.VaultOptions{Name: "orders-kv"})
	ref, _, err := keyvault.NewParser("", v).Parse("@Microsoft.KeyVault(VaultName=orders-kv;SecretName=API-KEY)")
	if err != nil {
		t.Fatal(err)
	}
	req := keyvault.Request{
		Prefix: "app--",
		Secrets: []keyvault.Mapping{
			{Name: "api-key", Key: "Api:Key"},
			{Name: "app--db--password", Key: "Previous:Password", Version: v1},
		},
		References: []keyvault.Ref{ref},
	}
	snap, err := v.Fetch(testContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Request().Equal(req) {
		t.Errorf("Request() = %+v, want the request fetched", snap.Request())
	}
	type backing struct{ Keys, Refs []string }
	got := map[string]backing{} // by name, and pinned version
	for _, s := range snap.Secrets() {
		id := s.Name
		if s.Pinned {
			id += "/" + s.Version
		}
		got[id] = backing{s.Keys, s.References}
	}
	want := map[string]backing{
		"api-key":                 {[]string{"Api:Key"}, []string{ref.Raw}},
		"App--Db--Password":       {[]string{"Db:Password"}, nil},
		"App--Db--Password/" + v1: {[]string{"Previous:Password"}, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	keys := func(es []source.Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Key+"="+e.Value.Reveal())
		}
		return out
	}
	if diff := cmp.Diff([]string{"Db:Password=second"}, keys(snap.PrefixEntries())); diff != "" {
		t.Errorf("prefix entries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Api:Key=k3y", "Previous:Password=first"}, keys(snap.ExplicitEntries())); diff != "" {
		t.Errorf("explicit entries (-want +got):\n%s", diff)
	}
}
