package azure_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/azure"
	"github.com/fig-injector/fig-injector/injector/dev/devca"
	"github.com/fig-injector/fig-injector/injector/dev/entra"
)

const (
	tenantID   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	clientID   = "0f4c5b9e-8d8a-4a34-9d7e-6a3c2f6b1c11"
	issuer     = "https://oidc.fig-injector.test/cluster-1"
	subject    = "system:serviceaccount:shop:order-service"
	vaultScope = "https://vault.azure.net/.default"
)

// idp is the Entra emulator on a TLS listener and a client trusting it.
type idp struct {
	srv       *entra.Server
	ca        *devca.CA
	authority string // https://127.0.0.1:port/
	hc        *http.Client
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	ca, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := entra.New(entra.Options{})
	if err := srv.AddFederatedCredential(entra.FederatedCredential{TenantID: tenantID, ClientID: clientID, Issuer: issuer, Subject: subject}); err != nil {
		t.Fatal(err)
	}
	hs := serveTLS(t, ca, srv)
	return &idp{
		srv:       srv,
		ca:        ca,
		authority: hs.URL + "/",
		hc:        &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: ca.ClientTLSConfig()}},
	}
}

// serveTLS runs h on loopback TLS with a leaf from ca.
func serveTLS(t *testing.T, ca *devca.CA, h http.Handler) *httptest.Server {
	t.Helper()
	cfg, err := ca.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(h)
	hs.TLS = cfg
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.StartTLS()
	t.Cleanup(hs.Close)
	return hs
}

// tokenFile writes a projected service-account token for sub.
func tokenFile(t *testing.T, sub string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "azure-identity-token")
	if err := os.WriteFile(path, []byte(entra.MintAssertion(issuer, sub, entra.DefaultAudience, time.Hour)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// clearEnv unsets the workload-identity variables for the test (set empty,
// which NewCredential treats as unset).
func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{azure.EnvClientID, azure.EnvTenantID, azure.EnvTokenFile, azure.EnvAuthorityHost} {
		t.Setenv(k, "")
	}
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
