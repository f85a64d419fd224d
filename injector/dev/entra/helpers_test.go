package entra_test

import (
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/fig-injector/fig-injector/injector/dev/devca"
	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/injector/dev/internal/devtest"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

const (
	tenantID  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	clientID  = "0f4c5b9e-8d8a-4a34-9d7e-6a3c2f6b1c11"
	issuer    = "https://oidc.fig-injector.test/cluster-1"
	subject   = "system:serviceaccount:shop:order-service"
	vaultRes  = "https://vault.azure.net"
	vaultScop = vaultRes + "/.default"
)

// rig is an Entra emulator on a real TLS listener with a client trusting it.
type rig struct {
	srv    *entra.Server
	base   string // https://127.0.0.1:port
	client *http.Client
	logs   *syncBuffer
	events *eventLog
}

// newRig starts an emulator with the standard credential registered.
func newRig(t *testing.T, opts entra.Options) *rig {
	t.Helper()
	ca, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{logs: &syncBuffer{}, events: &eventLog{}}
	opts.Logger = slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Observe = r.events.Add
	r.srv = entra.New(opts)
	if err := r.srv.AddFederatedCredential(entra.FederatedCredential{
		TenantID: tenantID, ClientID: clientID, Issuer: issuer, Subject: subject,
	}); err != nil {
		t.Fatal(err)
	}
	cfg, err := ca.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(r.srv)
	hs.TLS = cfg
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.StartTLS()
	t.Cleanup(hs.Close)
	r.base = hs.URL
	r.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: ca.ClientTLSConfig()}}
	return r
}

// credential builds the real WorkloadIdentityCredential against the rig,
// with a token file holding assertion.
func (r *rig) credential(t *testing.T, assertion string, retry policy.RetryOptions) *azidentity.WorkloadIdentityCredential {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "azure-identity-token")
	if err := os.WriteFile(tokenFile, []byte(assertion), 0o600); err != nil {
		t.Fatal(err)
	}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Transport: r.client,
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: r.base + "/"},
			Retry:     retry,
		},
		ClientID:                 clientID,
		TenantID:                 tenantID,
		TokenFilePath:            tokenFile,
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// postToken sends a token request with form fields, returning status and
// decoded body.
func (r *rig) postToken(t *testing.T, tenant string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := r.client.PostForm(r.base+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

// get fetches path and decodes the JSON answer.
func (r *rig) get(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	resp, err := r.client.Get(r.base + path)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

func decode(t *testing.T, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode %s response: %v", resp.Request.URL.Path, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	return resp.StatusCode, body
}

// goodForm is a token request as MSAL sends it (contracts/azure.md §1.5).
func goodForm(assertion string) url.Values {
	return url.Values{
		"claims":                {`{"access_token":{"xms_cc":{"values":["CP1"]}}}`},
		"client_assertion":      {assertion},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_id":             {clientID},
		"client_info":           {"1"},
		"grant_type":            {"client_credentials"},
		"scope":                 {vaultScop + " openid offline_access profile"},
	}
}

type syncBuffer = testutil.Buffer

// eventLog collects observer events.
type eventLog = devtest.Events[entra.Event]
