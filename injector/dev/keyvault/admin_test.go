package keyvault_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

func TestNewValidatesOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    keyvault.Options
		wantErr string
	}{
		{"valid", keyvault.Options{Name: "kv-1", TenantID: tenantID}, ""},
		{"missing name", keyvault.Options{TenantID: tenantID}, "vault name"},
		{"name too short", keyvault.Options{Name: "kv", TenantID: tenantID}, "vault name"},
		{"name with underscore", keyvault.Options{Name: "my_vault", TenantID: tenantID}, "vault name"},
		{"missing tenant", keyvault.Options{Name: "kv-1"}, "tenant id"},
		{"tenant with slash", keyvault.Options{Name: "kv-1", TenantID: "a/b"}, "tenant id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := keyvault.New(tt.opts)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("New error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestAdminAPI(t *testing.T) {
	clk := testutil.NewClock(time.Unix(1_800_000_000, 0))
	kv, err := keyvault.New(keyvault.Options{Name: vaultName, TenantID: tenantID, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	var made []string
	for _, name := range []string{"Db-Password", "db-password", "DB-PASSWORD"} { // one secret: names are case-insensitive
		v, err := kv.SetSecret(name, "x")
		if err != nil {
			t.Fatal(err)
		}
		if !hex32.MatchString(v) {
			t.Errorf("version %q is not 32 hex characters", v)
		}
		made = append(made, v)
	}
	if diff := cmp.Diff(made, kv.Versions("db-password")); diff != "" {
		t.Errorf("Versions (-want +got):\n%s", diff)
	}
	if _, err := kv.SetSecret("api-key", "y"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"api-key", "Db-Password"}, kv.Names()); diff != "" {
		t.Errorf("Names (-want +got), first spelling kept:\n%s", diff)
	}

	tests := []struct {
		name    string
		op      func() error
		wantErr error
	}{
		{"enable latest", func() error { return kv.SetEnabled("db-password", "", false) }, nil},
		{"expiry of a version", func() error { return kv.SetExpiry("db-password", made[0], clk.Now().Add(time.Hour)) }, nil},
		{"not-before of a version, other case", func() error { return kv.SetNotBefore("DB-password", strings.ToUpper(made[1]), clk.Now()) }, nil},
		{"unknown secret", func() error { return kv.SetEnabled("nope", "", true) }, keyvault.ErrNotFound},
		{"unknown version", func() error { return kv.SetExpiry("db-password", "0123", time.Time{}) }, keyvault.ErrNotFound},
		{"delete", func() error { return kv.Delete("api-key") }, nil},
		{"delete again", func() error { return kv.Delete("api-key") }, keyvault.ErrNotFound},
		{"invalid name", func() error { _, err := kv.SetSecret("bad name", "z"); return err }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op()
			switch {
			case tt.name == "invalid name":
				if err == nil || !strings.Contains(err.Error(), "letters, digits and hyphens") {
					t.Fatalf("error = %v, want a name error", err)
				}
			case !errors.Is(err, tt.wantErr):
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if kv.Versions("api-key") != nil || len(kv.Names()) != 1 {
		t.Errorf("after Delete: versions %v, names %v", kv.Versions("api-key"), kv.Names())
	}
}

// TestAdminChangesShowOnTheWire checks that updated moves and that an
// admin change is what the next GET returns.
func TestAdminChangesShowOnTheWire(t *testing.T) {
	clk := testutil.NewClock(time.Unix(1_800_000_000, 0))
	e := newEnv(t, keyvault.Options{Now: clk.Now})
	v, err := e.kv.SetSecret("flag", "on")
	if err != nil {
		t.Fatal(err)
	}
	token := "Bearer " + e.token(t)
	clk.Add(time.Minute)
	if err := e.kv.SetEnabled("flag", v, false); err != nil {
		t.Fatal(err)
	}
	if resp := e.do(t, "GET", "/secrets/flag/?api-version="+apiVersion, token); resp.status != 403 {
		t.Fatalf("disabled latest: status %d", resp.status)
	}
	resp := e.do(t, "GET", "/secrets/flag/versions?api-version="+apiVersion, token)
	want := `"attributes":{"enabled":false,"created":1800000000,"updated":1800000060,`
	if !strings.Contains(resp.body, want) {
		t.Errorf("versions body %s lacks %s", resp.body, want)
	}
	clk.Add(time.Minute)
	if _, err := e.kv.SetSecret("flag", "off"); err != nil {
		t.Fatal(err)
	}
	if resp := e.do(t, "GET", "/secrets/flag/?api-version="+apiVersion, token); resp.status != 200 || !strings.Contains(resp.body, `"value":"off"`) {
		t.Fatalf("new latest version: %d %s", resp.status, resp.body)
	}
}
