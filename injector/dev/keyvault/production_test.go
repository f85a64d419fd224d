package keyvault_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
)

// TestProductionDefaultsOffline runs the SDK exactly as in production:
// default authority https://login.microsoftonline.com/, instance discovery
// on, challenge resource verification on, vault https://myvault.vault.azure.net/.
// A dialer sends login.microsoftonline.com:443 and *.vault.azure.net:443 to
// the emulators and refuses everything else, so the default path is proven
// offline (contracts/azure.md §1.2, §3).
func TestProductionDefaultsOffline(t *testing.T) {
	for _, name := range []string{"AZURE_AUTHORITY_HOST", "AZURE_REGIONAL_AUTHORITY_NAME", "MSAL_FORCE_REGION"} {
		t.Setenv(name, "")
	}
	e := newEnv(t, keyvault.Options{})
	seed(t, e.kv, 30)
	dialer := &offlineDialer{routes: map[string]string{
		"login.microsoftonline.com:443": hostOf(t, e.authority),
		"*.vault.azure.net:443":         hostOf(t, e.vaultURL),
	}}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: e.ca.ClientTLSConfig(),
		DialContext:     dialer.DialContext,
	}}
	tokenPath := filepath.Join(t.TempDir(), "azure-identity-token")
	if err := os.WriteFile(tokenPath, []byte(entra.MintAssertion(issuer, subject, entra.DefaultAudience, time.Hour)), 0o600); err != nil {
		t.Fatal(err)
	}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: hc, Retry: fastRetry},
		ClientID:      clientID,
		TenantID:      tenantID,
		TokenFilePath: tokenPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := azsecrets.NewClient("https://myvault.vault.azure.net/", cred, &azsecrets.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: hc, Retry: fastRetry},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)

	resp, err := c.GetSecret(ctx, "secret-007", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *resp.Value != "value-007" {
		t.Errorf("value = %q", *resp.Value)
	}
	wantID := "https://myvault.vault.azure.net/secrets/secret-007/" + e.kv.Versions("secret-007")[0]
	if diff := cmp.Diff(wantID, string(*resp.ID)); diff != "" {
		t.Errorf("id (-want +got):\n%s", diff)
	}
	// The second page comes from the absolute nextLink on :443.
	count := 0
	pager := c.NewListSecretPropertiesPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		count += len(page.Value)
	}
	got := map[string]int{
		"secrets listed":    count,
		"entra discovery":   e.idp.Requests(entra.RouteDiscovery),
		"entra openid":      e.idp.Requests(entra.RouteOpenID),
		"entra token":       e.idp.Requests(entra.RouteToken),
		"vault challenges":  e.kv.Challenges(),
		"vault gets":        e.kv.Requests(keyvault.RouteGet),
		"vault list pages":  e.kv.Requests(keyvault.RouteList),
		"refused dial-outs": len(dialer.Refused()),
	}
	want := map[string]int{
		"secrets listed":    30,
		"entra discovery":   1, // cache alias lookup; the trusted host skips endpoint discovery
		"entra openid":      1,
		"entra token":       1,
		"vault challenges":  1,
		"vault gets":        1,
		"vault list pages":  2,
		"refused dial-outs": 0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("production path (-want +got):\n%s\nrefused: %v", diff, dialer.Refused())
	}
}

// TestOfflineDialerRefusesOtherHosts: a misconfigured authority fails fast
// instead of reaching the internet.
func TestOfflineDialerRefusesOtherHosts(t *testing.T) {
	dialer := &offlineDialer{routes: map[string]string{"login.microsoftonline.com:443": "127.0.0.1:1"}}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext}}
	for _, u := range []string{"https://login.windows.net/", "https://vault.azure.net/", "https://example.com/"} {
		if resp, err := hc.Get(u); err == nil {
			resp.Body.Close()
			t.Errorf("GET %s succeeded", u)
		}
	}
	if diff := cmp.Diff([]string{"login.windows.net:443", "vault.azure.net:443", "example.com:443"}, dialer.Refused()); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
}

// TestCustomAuthorityWithInstanceDiscovery: an authority that is not a
// Microsoft host (as in the kind walkthrough, AZURE_AUTHORITY_HOST pointing
// at an in-cluster service) with instance discovery left on. MSAL then asks
// login.microsoftonline.com twice and follows tenant_discovery_endpoint back
// to the authority (contracts/azure.md §1.2–1.3); here login.microsoftonline.com
// is the same emulator.
func TestCustomAuthorityWithInstanceDiscovery(t *testing.T) {
	for _, name := range []string{"AZURE_REGIONAL_AUTHORITY_NAME", "MSAL_FORCE_REGION"} {
		t.Setenv(name, "")
	}
	e := newEnv(t, keyvault.Options{})
	seed(t, e.kv, 1)
	entraAddr := hostOf(t, e.authority)
	dialer := &offlineDialer{routes: map[string]string{
		"login.microsoftonline.com:443": entraAddr,
		"entra.fig-dev.svc:443":         entraAddr,
		hostOf(t, e.vaultURL):           hostOf(t, e.vaultURL),
	}}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: e.ca.ClientTLSConfig(),
		DialContext:     dialer.DialContext,
	}}
	t.Setenv("AZURE_AUTHORITY_HOST", "https://entra.fig-dev.svc/")
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: hc, Retry: fastRetry},
		ClientID:      clientID,
		TenantID:      tenantID,
		TokenFilePath: tokenFile(t, subject),
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := azsecrets.NewClient(e.vaultURL, cred, &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: hc, Retry: fastRetry},
		DisableChallengeResourceVerification: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetSecret(testContext(t), "secret-000", "", nil); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{
		"entra discovery":   e.idp.Requests(entra.RouteDiscovery),
		"entra openid":      e.idp.Requests(entra.RouteOpenID),
		"entra token":       e.idp.Requests(entra.RouteToken),
		"refused dial-outs": len(dialer.Refused()),
	}
	want := map[string]int{"entra discovery": 2, "entra openid": 1, "entra token": 1, "refused dial-outs": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("custom authority path (-want +got):\n%s\nrefused: %v", diff, dialer.Refused())
	}
}

// TestInClusterVaultKeepsResourceVerification: a vault served as
// myvault.fig-dev.svc with Resource "https://fig-dev.svc" passes the SDK's
// challenge resource verification (the request host ends in "."+resource
// host), so an in-cluster client needs no DisableChallengeResourceVerification
// (contracts/azure.md §4.1, alternatives to disabling it).
func TestInClusterVaultKeepsResourceVerification(t *testing.T) {
	e := newEnv(t, keyvault.Options{Resource: "https://fig-dev.svc"})
	seed(t, e.kv, 1)
	dialer := &offlineDialer{routes: map[string]string{
		"myvault.fig-dev.svc:443": hostOf(t, e.vaultURL),
	}}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: e.ca.ClientTLSConfig(),
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialOrLoopback(ctx, dialer, network, addr)
		},
	}}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Transport: hc, Retry: fastRetry, Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: e.authority}},
		ClientID:                 clientID,
		TenantID:                 tenantID,
		TokenFilePath:            tokenFile(t, subject),
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := azsecrets.NewClient("https://myvault.fig-dev.svc/", cred, &azsecrets.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: hc, Retry: fastRetry},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.GetSecret(testContext(t), "secret-000", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *resp.Value != "value-000" || len(dialer.Refused()) != 0 {
		t.Errorf("value %q, refused %v", *resp.Value, dialer.Refused())
	}
}

// dialOrLoopback lets loopback addresses through and routes the rest with d.
func dialOrLoopback(ctx context.Context, d *offlineDialer, network, addr string) (net.Conn, error) {
	if host, _, err := net.SplitHostPort(addr); err == nil && host == "127.0.0.1" {
		var nd net.Dialer
		return nd.DialContext(ctx, network, addr)
	}
	return d.DialContext(ctx, network, addr)
}
