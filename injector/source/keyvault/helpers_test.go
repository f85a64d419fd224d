package keyvault_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/fig-injector/fig-injector/injector/azure"
	"github.com/fig-injector/fig-injector/injector/dev/devca"
	"github.com/fig-injector/fig-injector/injector/dev/entra"
	kvemu "github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/injector/source/keyvault"
	"github.com/fig-injector/fig-injector/injector/transport"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

const (
	tenantID  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	clientID  = "0f4c5b9e-8d8a-4a34-9d7e-6a3c2f6b1c11"
	issuer    = "https://oidc.fig-injector.test/cluster-1"
	subject   = "system:serviceaccount:shop:order-service"
	vaultName = "myvault"
)

// env is the product's Entra and Key Vault emulators on TLS listeners from
// one dev CA, the transport client trusting that CA, and the one credential,
// all wired as the agent wires them (loopback mode, contracts/azure.md §3).
type env struct {
	tb           testing.TB
	ca           *devca.CA
	caFile       string
	idp          *entra.Server
	kv           *kvemu.Server
	vaultURL     string // https://127.0.0.1:port/
	authorityURL string // https://127.0.0.1:port/
	kvAddr       string
	hc           *http.Client
	cred         azcore.TokenCredential
	flight       *inFlight
	logs         *syncBuffer
}

// newEnv starts both emulators; the vault's clock advances one second per
// reading so that every change gets a distinct "updated" (Key Vault's
// timestamps have one-second resolution).
func newEnv(tb testing.TB) *env { return newEnvClock(tb, newTickingClock().Now) }

// newEnvClock is newEnv with the vault emulator on the given clock.
func newEnvClock(tb testing.TB, now func() time.Time) *env {
	tb.Helper()
	ca, err := devca.New()
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{tb: tb, ca: ca, flight: &inFlight{}, logs: &syncBuffer{}}
	e.caFile = filepath.Join(tb.TempDir(), "ca.crt")
	if err := os.WriteFile(e.caFile, ca.CertPEM(), 0o600); err != nil {
		tb.Fatal(err)
	}
	e.idp = entra.New(entra.Options{})
	if err := e.idp.AddFederatedCredential(entra.FederatedCredential{TenantID: tenantID, ClientID: clientID, Issuer: issuer, Subject: subject}); err != nil {
		tb.Fatal(err)
	}
	if e.kv, err = kvemu.New(kvemu.Options{Name: vaultName, TenantID: tenantID, Validator: e.idp, Now: now}); err != nil {
		tb.Fatal(err)
	}
	e.authorityURL = serveTLS(tb, ca, e.idp).URL + "/"
	kvSrv := serveTLS(tb, ca, e.flight.wrap(e.kv))
	e.vaultURL, e.kvAddr = kvSrv.URL+"/", kvSrv.Listener.Addr().String()
	if e.hc, err = transport.New(transport.Options{CAFile: e.caFile, Dial: e.dial}); err != nil {
		tb.Fatal(err)
	}
	e.cred = e.credential(subject, e.authorityURL)
	return e
}

// dial sends *.vault.azure.net to the vault emulator (for the test of the
// production wiring) and everything else where it asked to go (loopback).
func (e *env) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(addr)
	if len(host) > len(".vault.azure.net") && host[len(host)-len(".vault.azure.net"):] == ".vault.azure.net" {
		addr = e.kvAddr
	} else if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("test dialer refuses %s", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// credential is the process credential for sub, through azure.NewCredential.
func (e *env) credential(sub, authority string) azcore.TokenCredential {
	e.tb.Helper()
	tokenFile := filepath.Join(e.tb.TempDir(), "azure-identity-token")
	if err := os.WriteFile(tokenFile, []byte(entra.MintAssertion(issuer, sub, entra.DefaultAudience, time.Hour)), 0o600); err != nil {
		e.tb.Fatal(err)
	}
	cred, err := azure.NewCredential(azure.Options{
		ClientID: clientID, TenantID: tenantID, TokenFile: tokenFile,
		AuthorityHost: authority, DisableInstanceDiscovery: true, HTTPClient: e.hc,
	})
	if err != nil {
		e.tb.Fatal(err)
	}
	return cred
}

// vault returns a Vault on the emulator in loopback mode.
func (e *env) vault(opts keyvault.VaultOptions) *keyvault.Vault {
	e.tb.Helper()
	opts.HTTPClient = e.hc
	opts.DisableChallengeResourceVerification = true
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	v, err := keyvault.NewVault(e.vaultURL, e.cred, opts)
	if err != nil {
		e.tb.Fatal(err)
	}
	return v
}

// hostileVault returns a Vault whose server answers the challenge as the
// emulator does and every authorised request with authorised: a vault, or
// something in front of it, that turns hostile once it holds a token.
func (e *env) hostileVault(authorised http.HandlerFunc) *keyvault.Vault {
	e.tb.Helper()
	srv := serveTLS(e.tb, e.ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			e.kv.ServeHTTP(w, r)
			return
		}
		authorised(w, r)
	}))
	v, err := keyvault.NewVault(srv.URL+"/", e.cred, keyvault.VaultOptions{HTTPClient: e.hc, DisableChallengeResourceVerification: true})
	if err != nil {
		e.tb.Fatal(err)
	}
	return v
}

// seed stores n secrets named fmt.Sprintf(format, i) with value "value-i".
func (e *env) seed(format string, n int) {
	e.tb.Helper()
	for i := range n {
		if _, err := e.kv.SetSecret(fmt.Sprintf(format, i), fmt.Sprintf("value-%d", i)); err != nil {
			e.tb.Fatal(err)
		}
	}
}

// set stores a new version of name and returns its version ID.
func (e *env) set(name, value string, opts ...kvemu.SecretOption) string {
	e.tb.Helper()
	ver, err := e.kv.SetSecret(name, value, opts...)
	if err != nil {
		e.tb.Fatal(err)
	}
	return ver
}

// serveTLS runs h on a loopback TLS listener whose leaf also names
// *.vault.azure.net and login.microsoftonline.com.
func serveTLS(tb testing.TB, ca *devca.CA, h http.Handler) *httptest.Server {
	tb.Helper()
	cfg, err := ca.TLSConfig("*.vault.azure.net", "login.microsoftonline.com")
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = cfg
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return srv
}

// inFlight counts the requests the vault is answering at once.
type inFlight struct {
	cur, peak atomic.Int64
}

func (f *inFlight) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.cur.Add(1)
		defer f.cur.Add(-1)
		for {
			p := f.peak.Load()
			if n <= p || f.peak.CompareAndSwap(p, n) {
				break
			}
		}
		h.ServeHTTP(w, r)
	})
}

// tickingClock returns a time one second later at every reading.
type tickingClock struct {
	base time.Time
	n    atomic.Int64
}

func newTickingClock() *tickingClock {
	return &tickingClock{base: time.Now().Truncate(time.Second).Add(-24 * time.Hour)}
}

func (c *tickingClock) Now() time.Time {
	return c.base.Add(time.Duration(c.n.Add(1)) * time.Second)
}

type syncBuffer = testutil.Buffer

func testContext(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	tb.Cleanup(cancel)
	return ctx
}
