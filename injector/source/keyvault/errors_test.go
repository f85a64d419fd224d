package keyvault_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	kvemu "github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/keyvault"
	"github.com/fig-injector/fig-injector/injector/transport"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// fetchErr fetches one required secret and returns the *source.Error.
func fetchErr(t *testing.T, v *keyvault.Vault, name string) *source.Error {
	t.Helper()
	_, err := v.Fetch(testContext(t), keyvault.Request{Secrets: []keyvault.Mapping{{Name: name, Key: "K"}}})
	var se *source.Error
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want *source.Error", err)
	}
	return se
}

func TestErrorsFromTheVault(t *testing.T) {
	const value = "s3cr3t-value"
	tests := []struct {
		name      string
		setup     func(e *env)
		status    int
		temporary bool
		fix       string
		contains  string
		gets      int // GETs the vault saw: SDK retries are few and visible
	}{
		{
			name:   "forbidden secret",
			setup:  func(e *env) { e.kv.DenySecret("db-password", true) },
			status: 403, fix: "grant the pod's identity 'Key Vault Secrets User' on the vault",
			contains: "Caller is not authorized", gets: 1,
		},
		{
			name:      "service unavailable",
			setup:     func(e *env) { e.kv.Inject(kvemu.RouteGet, kvemu.Fault{Status: 503}) },
			status:    503,
			temporary: true, gets: 3,
		},
		{
			name: "an HTML body is never quoted",
			setup: func(e *env) {
				e.kv.Inject(kvemu.RouteGet, kvemu.Fault{Status: 502, Body: "<html>proxy error near " + value + "</html>"})
			},
			status: 502, temporary: true, contains: "Bad Gateway", gets: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.set("db-password", value)
			tt.setup(e)
			v := e.vault(keyvault.VaultOptions{})
			se := fetchErr(t, v, "db-password")
			got := []any{se.Source, se.StatusCode, se.Temporary, strings.HasPrefix(se.Fix, tt.fix), e.kv.Requests(kvemu.RouteGet)}
			want := []any{"keyvault " + e.vaultURL, tt.status, tt.temporary, true, tt.gets}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("source, status, temporary, fix, GETs (-want +got):\n%s", diff)
			}
			msg := se.Error()
			if !strings.Contains(msg, tt.contains) || !strings.Contains(msg, "get secret db-password") {
				t.Errorf("message %q lacks %q or the operation", msg, tt.contains)
			}
			if strings.Contains(msg, value) || strings.Contains(msg, "\n") {
				t.Errorf("message %q leaks the value or spans lines", msg)
			}
		})
	}
}

// A 403's fix names the identity to grant (AZURE_CLIENT_ID), whatever the
// service's message says: the pod's events and termination message carry it.
func TestErrorForbiddenNamesClientID(t *testing.T) {
	const clientID = "3c9e5a7b-2d4f-4a6c-8e0b-1f2a3b4c5d6e"
	e := newEnv(t)
	e.set("db-password", "x")
	e.kv.DenySecret("db-password", true)
	se := fetchErr(t, e.vault(keyvault.VaultOptions{ClientID: clientID}), "db-password")
	if want := "grant the pod's identity (client ID " + clientID + ") 'Key Vault Secrets User' on the vault"; !strings.HasPrefix(se.Fix, want) {
		t.Errorf("fix %q, want it to start %q", se.Fix, want)
	}
}

func TestErrorAuthenticationFailed(t *testing.T) {
	e := newEnv(t)
	e.set("db-password", "x")
	// A credential for a subject with no federated credential registered.
	e.cred = e.credential("system:serviceaccount:shop:intruder", e.authorityURL)
	v := e.vault(keyvault.VaultOptions{})
	se := fetchErr(t, v, "db-password")
	if se.StatusCode != 400 || se.Temporary || !strings.Contains(se.Fix, "federated identity credential's issuer/subject") {
		t.Errorf("error = %+v", se)
	}
	if !strings.Contains(se.Error(), "AADSTS700213") {
		t.Errorf("message %q lacks Entra's error", se.Error())
	}
}

func TestErrorUntrustedCertificate(t *testing.T) {
	e := newEnv(t)
	hc, err := transport.New(transport.Options{}) // system roots only
	if err != nil {
		t.Fatal(err)
	}
	v, err := keyvault.NewVault(e.vaultURL, e.cred, keyvault.VaultOptions{HTTPClient: hc, DisableChallengeResourceVerification: true})
	if err != nil {
		t.Fatal(err)
	}
	se := fetchErr(t, v, "db-password")
	if se.Temporary || !strings.Contains(se.Fix, "tls.caFile") {
		t.Errorf("error = %+v", se)
	}
}

func TestErrorNetwork(t *testing.T) {
	e := newEnv(t)
	v, err := keyvault.NewVault("https://"+testutil.DroppingAddr(t), e.cred, keyvault.VaultOptions{HTTPClient: e.hc, DisableChallengeResourceVerification: true})
	if err != nil {
		t.Fatal(err)
	}
	se := fetchErr(t, v, "db-password")
	if !se.Temporary || !strings.Contains(se.Fix, "HTTPS_PROXY") {
		t.Errorf("error = %+v", se)
	}
}

func TestErrorCancelledContextIsNotASourceError(t *testing.T) {
	e := newEnv(t)
	e.seed("s%04d", 20)
	e.kv.Inject(kvemu.RouteGet, kvemu.Fault{Delay: time.Minute})
	v := e.vault(keyvault.VaultOptions{})
	ctx, cancel := context.WithTimeout(testContext(t), 200*time.Millisecond)
	defer cancel()
	_, err := v.Fetch(ctx, mapAll("s%04d", 1))
	var se *source.Error
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &se) {
		t.Errorf("error = %v, want the context's error, not a source error", err)
	}
}

func TestProductionWiring(t *testing.T) {
	// The real vault host name (routed to the emulator by the dialer) with
	// challenge resource verification on, as in production.
	e := newEnv(t)
	e.set("db-password", "x")
	v, err := keyvault.NewVault("https://MyVault.vault.azure.net", e.cred, keyvault.VaultOptions{HTTPClient: e.hc})
	if err != nil {
		t.Fatal(err)
	}
	if v.URL() != "https://myvault.vault.azure.net/" || v.Name() != "myvault" {
		t.Errorf("URL, Name = %s, %s", v.URL(), v.Name())
	}
	snap, err := v.Fetch(testContext(t), keyvault.Request{Secrets: []keyvault.Mapping{{Name: "db-password", Key: "K"}}})
	if err != nil {
		t.Fatal(err)
	}
	if valueOf(snap, "K") != "x" {
		t.Error("wrong value")
	}
}

func TestNewVaultRejectsBadInput(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		url, name, want string
	}{
		{"http://kv.vault.azure.net/", "", "not a vault URL"},
		{"https://kv.vault.azure.net/secrets/x", "", "not a vault URL"},
		{"https://kv_x.vault.azure.net/", "", "is not a host name"},
		{"https://kv.vault.azure.net/", "k", `name "k" is not a vault name`},
	} {
		if _, err := keyvault.NewVault(tt.url, e.cred, keyvault.VaultOptions{Name: tt.name}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewVault(%q, %q) error = %v, want %q", tt.url, tt.name, err, tt.want)
		}
	}
}
