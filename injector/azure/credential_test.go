package azure_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/fig-injector/fig-injector/injector/azure"
	"github.com/fig-injector/fig-injector/injector/dev/entra"
)

func TestNewCredentialNamesMissingSettings(t *testing.T) {
	good := tokenFile(t, subject)
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name    string
		opts    azure.Options
		want    []string
		notWant []string
	}{
		{
			name: "nothing set",
			want: []string{
				"set azure.clientId or AZURE_CLIENT_ID (injected by the Azure Workload Identity webhook when the pod has label azure.workload.identity/use=true)",
				"set azure.tenantId or AZURE_TENANT_ID",
				"set azure.tokenFile or AZURE_FEDERATED_TOKEN_FILE",
			},
		},
		{
			name:    "only client ID missing",
			opts:    azure.Options{TenantID: tenantID, TokenFile: good},
			want:    []string{"no client ID", "AZURE_CLIENT_ID"},
			notWant: []string{"tenant", "token file"},
		},
		{
			name: "token file does not exist",
			opts: azure.Options{ClientID: clientID, TenantID: tenantID, TokenFile: missing},
			want: []string{missing, "no such file", "projected service-account token"},
		},
		{
			name: "token file is a directory",
			opts: azure.Options{ClientID: clientID, TenantID: tenantID, TokenFile: t.TempDir()},
			want: []string{"is a directory"},
		},
		{
			name: "bad tenant",
			opts: azure.Options{ClientID: clientID, TenantID: "contoso/../x", TokenFile: good},
			want: []string{`tenant ID "contoso/../x" is not valid`},
		},
		{
			name: "http authority",
			opts: azure.Options{ClientID: clientID, TenantID: tenantID, TokenFile: good, AuthorityHost: "http://login.example"},
			want: []string{`authority host "http://login.example"`, "azure.authorityHost or AZURE_AUTHORITY_HOST"},
		},
		{
			name: "authority with a path",
			opts: azure.Options{ClientID: clientID, TenantID: tenantID, TokenFile: good, AuthorityHost: "https://login.example/prefix/"},
			want: []string{"without a path"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			_, err := azure.NewCredential(tt.opts)
			if err == nil {
				t.Fatal("NewCredential succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ncontains %q", err, w)
				}
			}
		})
	}
}

func TestNewCredentialGetsTokenFromEnv(t *testing.T) {
	p := newIDP(t)
	clearEnv(t)
	t.Setenv(azure.EnvClientID, clientID)
	t.Setenv(azure.EnvTenantID, tenantID)
	t.Setenv(azure.EnvTokenFile, tokenFile(t, subject))
	t.Setenv(azure.EnvAuthorityHost, strings.TrimSuffix(p.authority, "/"))

	cred, err := azure.NewCredential(azure.Options{DisableInstanceDiscovery: true, HTTPClient: p.hc})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	for range 3 {
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{vaultScope}})
		if err != nil {
			t.Fatal(err)
		}
		if !p.srv.ValidToken(tok.Token, tenantID, "https://vault.azure.net") {
			t.Fatal("the emulator does not recognise the token")
		}
	}
	if n := p.srv.Requests(entra.RouteToken); n != 1 {
		t.Errorf("token requests = %d, want 1 (the credential caches)", n)
	}
	if n := p.srv.Requests(entra.RouteDiscovery); n != 0 {
		t.Errorf("instance discovery requests = %d, want 0 with DisableInstanceDiscovery", n)
	}
}

func TestNewCredentialOptionsWinOverEnv(t *testing.T) {
	p := newIDP(t)
	clearEnv(t)
	t.Setenv(azure.EnvClientID, "11111111-1111-1111-1111-111111111111") // not registered
	t.Setenv(azure.EnvTenantID, tenantID)
	t.Setenv(azure.EnvTokenFile, tokenFile(t, "system:serviceaccount:other:other"))
	t.Setenv(azure.EnvAuthorityHost, "https://login.invalid/")

	cred, err := azure.NewCredential(azure.Options{
		ClientID:                 clientID,
		TokenFile:                tokenFile(t, subject),
		AuthorityHost:            p.authority,
		DisableInstanceDiscovery: true,
		HTTPClient:               p.hc,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cred.GetToken(testContext(t), policy.TokenRequestOptions{Scopes: []string{vaultScope}}); err != nil {
		t.Fatal(err)
	}
}

func TestNewCredentialUnknownSubjectFailsAuthentication(t *testing.T) {
	p := newIDP(t)
	clearEnv(t)
	cred, err := azure.NewCredential(azure.Options{
		ClientID: clientID, TenantID: tenantID,
		TokenFile:                tokenFile(t, "system:serviceaccount:other:intruder"),
		AuthorityHost:            p.authority,
		DisableInstanceDiscovery: true,
		HTTPClient:               p.hc,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.GetToken(testContext(t), policy.TokenRequestOptions{Scopes: []string{vaultScope}})
	var af *azidentity.AuthenticationFailedError
	if !errors.As(err, &af) {
		t.Fatalf("error = %v, want *azidentity.AuthenticationFailedError", err)
	}
	if af.RawResponse == nil || af.RawResponse.StatusCode != 400 {
		t.Errorf("RawResponse = %v, want a 400", af.RawResponse)
	}
	if n := p.srv.Requests(entra.RouteToken); n != 1 {
		t.Errorf("token requests = %d, want 1 (400 is not retried)", n)
	}
}
