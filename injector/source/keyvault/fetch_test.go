package keyvault_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	kvemu "github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/keyvault"
)

// entry is a source.Entry with its value revealed, for comparisons.
type entry struct {
	Key, Value string
	Origin     source.Origin
}

func entries(s keyvault.Snapshot) []entry {
	var out []entry
	for _, e := range s.Entries() {
		if !e.Secret {
			panic("a Key Vault entry must be marked secret")
		}
		out = append(out, entry{e.Key, e.Value.Reveal(), e.Origin})
	}
	return out
}

func missing(s keyvault.Snapshot) map[string]string {
	out := map[string]string{}
	for _, m := range s.Missing() {
		out[m.Name] = m.Missing
	}
	return out
}

func TestFetchExplicitMappings(t *testing.T) {
	e := newEnv(t)
	v1 := e.set("db-password", "first")
	e.set("db-password", "second")
	e.set("api-key", "k3y")
	v := e.vault(keyvault.VaultOptions{})
	ctx := testContext(t)

	snap, err := v.Fetch(ctx, keyvault.Request{Secrets: []keyvault.Mapping{
		{Name: "db-password", Key: "ConnectionStrings:Orders:Password"},
		{Name: "DB-Password", Key: "Previous:Password", Version: v1},
		{Name: "api-key", Key: "Api:Key"},
		{Name: "not-there", Key: "Optional:Thing", Optional: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []entry{
		{"Api:Key", "k3y", source.OriginExplicit},
		{"ConnectionStrings:Orders:Password", "second", source.OriginExplicit},
		{"Previous:Password", "first", source.OriginExplicit},
	}
	if diff := cmp.Diff(want, entries(snap)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"not-there": "not found"}, missing(snap)); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	// The list that measures the vault (3 secrets at their latest version)
	// and one GET per secret found; the missing one needs no GET.
	if diff := cmp.Diff([]int{1, 3}, []int{e.kv.Requests(kvemu.RouteList), e.kv.Requests(kvemu.RouteGet)}); diff != "" {
		t.Errorf("list, get requests (-want +got):\n%s", diff)
	}
}

func TestFetchRequiredMissingIsPermanentError(t *testing.T) {
	e := newEnv(t)
	e.set("api-key", "k3y")
	v := e.vault(keyvault.VaultOptions{})
	_, err := v.Fetch(testContext(t), keyvault.Request{Secrets: []keyvault.Mapping{
		{Name: "api-key", Key: "Api:Key"},
		{Name: "db-password", Key: "Db:Password"},
	}})
	var se *source.Error
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want *source.Error", err)
	}
	if se.Temporary || se.Source != "keyvault "+e.vaultURL || se.Fix != "create the secret or mark it optional (a Key Vault reference in Fig must name an existing, enabled, unexpired secret)" {
		t.Errorf("error = %+v", se)
	}
	if !strings.Contains(se.Error(), "required secret missing: db-password (not found)") {
		t.Errorf("message %q does not name the secret", se.Error())
	}
	if strings.Contains(se.Error(), "k3y") {
		t.Errorf("message %q contains a secret value", se.Error())
	}
}

func TestFetchReferences(t *testing.T) {
	e := newEnv(t)
	v1 := e.set("db-password", "first")
	e.set("db-password", "second")
	v := e.vault(keyvault.VaultOptions{Name: "orders-kv"})
	parser := keyvault.NewParser("", v)
	raws := []string{
		"@Microsoft.KeyVault(SecretUri=" + e.vaultURL + "secrets/db-password/)",
		"@Microsoft.KeyVault(VaultName=orders-kv;SecretName=db-password;SecretVersion=" + v1 + ")",
	}
	var refs []keyvault.Ref
	for _, raw := range raws {
		ref, ok, err := parser.Parse(raw)
		if err != nil || !ok {
			t.Fatalf("Parse(%s) = %v, %v", raw, ok, err)
		}
		refs = append(refs, ref)
	}
	snap, err := v.Fetch(testContext(t), keyvault.Request{References: refs})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, val := range snap.Resolved() {
		got[k] = val.Reveal()
	}
	if diff := cmp.Diff(map[string]string{raws[0]: "second", raws[1]: "first"}, got); diff != "" {
		t.Errorf("resolved (-want +got):\n%s", diff)
	}

	missingRef, _, _ := parser.Parse("@Microsoft.KeyVault(VaultName=orders-kv;SecretName=nope)")
	if _, err := v.Fetch(testContext(t), keyvault.Request{References: []keyvault.Ref{missingRef}}); err == nil || !strings.Contains(err.Error(), "nope (not found)") {
		t.Errorf("a reference to a missing secret: error = %v, want one naming it", err)
	}
	other, _, _ := keyvault.ParseReference("@Microsoft.KeyVault(VaultName=other-kv;SecretName=x)")
	if _, err := v.Fetch(testContext(t), keyvault.Request{References: []keyvault.Ref{other}}); err == nil || !strings.Contains(err.Error(), "https://other-kv.vault.azure.net/, not this one") {
		t.Errorf("a reference to another vault: error = %v", err)
	}
}

func TestFetchPrefixOver60Secrets(t *testing.T) {
	e := newEnv(t)
	e.seed("OrderService--Section--Key%02d", 60)
	e.seed("other-%d", 5) // 65 secrets: 3 list pages
	e.set("orderservice--", "nothing after the prefix")
	v := e.vault(keyvault.VaultOptions{})
	snap, err := v.Fetch(testContext(t), keyvault.Request{Prefix: "OrderService--"})
	if err != nil {
		t.Fatal(err)
	}
	got := entries(snap)
	if len(got) != 60 {
		t.Fatalf("%d entries, want 60", len(got))
	}
	for i, en := range got {
		want := entry{fmt.Sprintf("Section:Key%02d", i), fmt.Sprintf("value-%d", i), source.OriginPrefix}
		if en != want {
			t.Errorf("entry %d = %+v, want %+v", i, en, want)
		}
	}
	if n := e.kv.Requests(kvemu.RouteList); n != 3 {
		t.Errorf("list requests = %d, want 3 (66 secrets, 25 a page)", n)
	}
	if n := e.kv.Requests(kvemu.RouteGet); n != 60 {
		t.Errorf("GETs = %d, want 60", n)
	}
}

func TestMissingStates(t *testing.T) {
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tests := []struct {
		name string
		opt  kvemu.SecretOption
		why  string
	}{
		{"disabled", kvemu.WithEnabled(false), "disabled"},
		{"expired", kvemu.WithExpires(past), "expired at " + past.UTC().Format(time.RFC3339)},
		{"not yet valid", kvemu.WithNotBefore(future), "not valid before " + future.UTC().Format(time.RFC3339)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.set("app--ok", "fine")
			e.set("app--bad", "hidden", tt.opt)
			e.set("single", "hidden", tt.opt)
			v := e.vault(keyvault.VaultOptions{})
			ctx := testContext(t)

			// Optional: left out, prefix and mapping alike.
			for _, req := range []keyvault.Request{
				{Prefix: "app--"},
				{Secrets: []keyvault.Mapping{{Name: "app--ok", Key: "Ok"}, {Name: "app--bad", Key: "Bad", Optional: true}}},
				{Secrets: []keyvault.Mapping{{Name: "single", Key: "Single", Optional: true}}}, // GET path (no list)
			} {
				snap, err := v.Fetch(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				for _, en := range entries(snap) {
					if en.Value == "hidden" {
						t.Errorf("request %+v: %s secret delivered as %q", req, tt.name, en.Key)
					}
				}
				if len(req.Secrets) > 0 {
					name := req.Secrets[len(req.Secrets)-1].Name
					if got := missing(snap)[name]; got != tt.why {
						t.Errorf("missing[%s] = %q, want %q", name, got, tt.why)
					}
				}
			}
			// Required: an error naming the secret, the reason and the vault.
			for _, name := range []string{"app--bad", "single"} {
				_, err := v.Fetch(ctx, keyvault.Request{Secrets: []keyvault.Mapping{{Name: name, Key: "K"}}})
				if err == nil || !strings.Contains(err.Error(), name+" ("+tt.why+")") || !strings.Contains(err.Error(), e.vaultURL) {
					t.Errorf("required %s: error = %v", name, err)
				}
			}
		})
	}
}

func TestFetchConcurrencyBound(t *testing.T) {
	e := newEnv(t)
	e.seed("s%03d", 100)
	// Slow every GET down so that requests overlap.
	e.kv.Inject(kvemu.RouteGet, kvemu.Fault{Delay: 20 * time.Millisecond})
	const limit = 5
	v := e.vault(keyvault.VaultOptions{Concurrency: limit})
	var req keyvault.Request
	for i := range 100 {
		req.Secrets = append(req.Secrets, keyvault.Mapping{Name: fmt.Sprintf("s%03d", i), Key: fmt.Sprintf("K%03d", i)})
	}
	if _, err := v.Fetch(testContext(t), req); err != nil {
		t.Fatal(err)
	}
	if peak := e.flight.peak.Load(); peak > limit || peak < 2 {
		t.Errorf("peak requests in flight = %d, want 2..%d", peak, limit)
	}
}

func TestFetchValidatesRequest(t *testing.T) {
	e := newEnv(t)
	v := e.vault(keyvault.VaultOptions{})
	for _, req := range []keyvault.Request{
		{Prefix: "bad_prefix"},
		{Secrets: []keyvault.Mapping{{Name: "db_password", Key: "K"}}},
		{Secrets: []keyvault.Mapping{{Name: "db-password", Key: " "}}},
		{Secrets: []keyvault.Mapping{{Name: "db-password", Key: "K", Version: "v-1"}}},
	} {
		_, err := v.Fetch(testContext(t), req)
		var se *source.Error
		if !errors.As(err, &se) || se.Temporary {
			t.Errorf("Fetch(%+v) error = %v, want a permanent *source.Error", req, err)
		}
	}
	if v.Requests() != 0 {
		t.Errorf("invalid requests sent %d requests", v.Requests())
	}
}
