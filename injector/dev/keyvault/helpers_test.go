package keyvault_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/fig-injector/fig-injector/injector/dev/devca"
	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/injector/dev/internal/devtest"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// The Entra emulator is the validator the vault is used with.
var _ keyvault.TokenValidator = (*entra.Server)(nil)
var _ keyvault.ClientIdentifier = (*entra.Server)(nil)

const (
	tenantID   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	clientID   = "0f4c5b9e-8d8a-4a34-9d7e-6a3c2f6b1c11"
	issuer     = "https://oidc.fig-injector.test/cluster-1"
	subject    = "system:serviceaccount:shop:order-service"
	vaultName  = "myvault"
	apiVersion = "2026-04-01"
	vaultScope = "https://vault.azure.net/.default"
)

// fastRetry keeps retried failures in milliseconds instead of seconds.
var fastRetry = policy.RetryOptions{MaxRetries: 2, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 5 * time.Second}

// env is an Entra emulator and a vault, each on its own TLS listener with a
// certificate from one dev CA, plus an HTTP client that trusts only that CA.
type env struct {
	ca        *devca.CA
	idp       *entra.Server
	kv        *keyvault.Server
	authority string // https://127.0.0.1:port/
	vaultURL  string // https://127.0.0.1:port/
	hc        *http.Client
	logs      *syncBuffer
	events    *eventLog
}

// newEnv starts both emulators; opts may set Now and PageSize.
func newEnv(t *testing.T, opts keyvault.Options) *env {
	t.Helper()
	ca, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ca: ca, logs: &syncBuffer{}, events: &eventLog{}}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.idp = entra.New(entra.Options{Logger: logger})
	if err := e.idp.AddFederatedCredential(entra.FederatedCredential{TenantID: tenantID, ClientID: clientID, Issuer: issuer, Subject: subject}); err != nil {
		t.Fatal(err)
	}
	opts.Name, opts.TenantID, opts.Validator, opts.Logger, opts.Observe = vaultName, tenantID, e.idp, logger, e.events.Add
	if e.kv, err = keyvault.New(opts); err != nil {
		t.Fatal(err)
	}
	e.authority = serveTLS(t, ca, e.idp).URL + "/"
	e.vaultURL = serveTLS(t, ca, e.kv).URL + "/"
	e.hc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: ca.ClientTLSConfig()}}
	return e
}

// serveTLS runs h on a loopback TLS listener with a devca leaf that also
// names the real Azure hosts and an in-cluster name (for the offline tests).
func serveTLS(t *testing.T, ca *devca.CA, h http.Handler) *httptest.Server {
	t.Helper()
	cfg, err := ca.TLSConfig("login.microsoftonline.com", "*.vault.azure.net", "entra.fig-dev.svc", "*.fig-dev.svc")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = cfg
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// client returns the real azsecrets client authenticating through the real
// WorkloadIdentityCredential as sub, in loopback mode (contracts/azure.md §3).
func (e *env) client(t *testing.T, sub string, retry policy.RetryOptions) *azsecrets.Client {
	t.Helper()
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Transport: e.hc,
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: e.authority},
			Retry:     retry,
		},
		ClientID:                 clientID,
		TenantID:                 tenantID,
		TokenFilePath:            tokenFile(t, sub),
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := azsecrets.NewClient(e.vaultURL, cred, &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: e.hc, Retry: retry},
		DisableChallengeResourceVerification: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tokenFile writes a federated token for sub, as the kubelet would.
func tokenFile(t *testing.T, sub string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "azure-identity-token")
	if err := os.WriteFile(path, []byte(entra.MintAssertion(issuer, sub, entra.DefaultAudience, time.Hour)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// token gets an access token for the vault straight from the Entra emulator.
func (e *env) token(t *testing.T) string {
	t.Helper()
	resp, err := e.hc.PostForm(e.authority+tenantID+"/oauth2/v2.0/token", url.Values{
		"client_assertion":      {entra.MintAssertion(issuer, subject, entra.DefaultAudience, time.Hour)},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_id":             {clientID},
		"grant_type":            {"client_credentials"},
		"scope":                 {vaultScope},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("token request: status %d, decode error %v", resp.StatusCode, err)
	}
	return body.AccessToken
}

// response is a raw HTTP answer.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a GET to the vault with the given Authorization header ("" for
// none). rawURL may be absolute (a nextLink) or a path.
func (e *env) do(t *testing.T, method, rawURL, authorization string) response {
	t.Helper()
	if !strings.HasPrefix(rawURL, "https://") {
		rawURL = strings.TrimSuffix(e.vaultURL, "/") + rawURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// host is the vault's host:port as clients see it in ids.
func (e *env) host() string {
	u, _ := url.Parse(e.vaultURL)
	return u.Host
}

// hostOf returns the host:port of an https URL.
func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// seed creates n secrets named secret-000 … with values value-000 ….
func seed(t *testing.T, kv *keyvault.Server, n int) {
	t.Helper()
	for i := range n {
		if _, err := kv.SetSecret(fmt.Sprintf("secret-%03d", i), fmt.Sprintf("value-%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
}

// compactJSON normalises JSON text for comparison.
func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("compact %q: %v", s, err)
	}
	return b.String()
}

type syncBuffer = testutil.Buffer

// eventLog collects observer events.
type eventLog = devtest.Events[keyvault.Event]

// offlineDialer routes the real Azure host names to local listeners and
// refuses everything else (contracts/azure.md §1.2, §3), recording refusals
// so a test can prove nothing tried to leave the machine.
type offlineDialer struct {
	routes  map[string]string // "login.microsoftonline.com:443" or "*.vault.azure.net:443" → local addr
	mu      sync.Mutex
	refused []string
}

func (d *offlineDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	target, ok := d.routes[addr]
	if !ok {
		if i := strings.IndexByte(host, '.'); i > 0 {
			target, ok = d.routes["*"+host[i:]+":"+port]
		}
	}
	if !ok {
		d.mu.Lock()
		d.refused = append(d.refused, addr)
		d.mu.Unlock()
		return nil, fmt.Errorf("offline test: refusing to dial %s", addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, target)
}

func (d *offlineDialer) Refused() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.refused...)
}
