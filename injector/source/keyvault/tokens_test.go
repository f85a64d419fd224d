package keyvault_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fig-injector/fig-injector/injector/source/keyvault"
	"github.com/fig-injector/fig-injector/injector/transport"
)

// TestVaultMessageEchoingAuthorizationIsBlanked is issue 12 item 3: a Key
// Vault (or a proxy in front of it) whose error message echoes the request's
// Authorization header put the bearer token into the error.
func TestVaultMessageEchoingAuthorizationIsBlanked(t *testing.T) {
	e := newEnv(t)
	e.set("db-password", "the real value")
	var seen atomic.Value // the bearer token the vault received
	v := e.hostileVault(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		seen.Store(strings.TrimPrefix(auth, "Bearer "))
		body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": "Forbidden", "message": "denied; request had Authorization: " + auth}})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write(body)
	})
	err := fetchErr(t, v, "db-password")
	token, _ := seen.Load().(string)
	if token == "" {
		t.Fatalf("error = %v before any authorised request", err)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), token[:20]) {
		t.Errorf("the bearer token is in the error: %v", err)
	}
	if !strings.Contains(err.Error(), "Forbidden: denied; request had Authorization: [REDACTED]") {
		t.Errorf("error %q lost the service's message", err)
	}
}

// TestNonJSONTokenAnswerIsNeverQuoted: MSAL quotes a token response it
// cannot decode whole; a WAF page echoing the request put the federated
// token (client_assertion) into the error.
func TestNonJSONTokenAnswerIsNeverQuoted(t *testing.T) {
	e := newEnv(t)
	authority := serveTLS(t, e.ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/token") {
			e.idp.ServeHTTP(w, r)
			return
		}
		form, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html><body>Request blocked by policy. Your request: "+string(form)+"</body></html>")
	}))
	cred := e.credential(subject, authority.URL+"/")
	v, err := keyvault.NewVault(e.vaultURL, cred, keyvault.VaultOptions{HTTPClient: e.hc, DisableChallengeResourceVerification: true})
	if err != nil {
		t.Fatal(err)
	}
	msg := fetchErr(t, v, "db-password").Error()
	// The assertion is a JWT: "eyJ" starts its base64url JSON header.
	if strings.Contains(msg, "client_assertion") || strings.Contains(msg, "eyJ") || strings.Contains(msg, "Request blocked") {
		t.Errorf("the token answer's body is quoted: %v", err)
	}
	if !strings.Contains(msg, "not shown") || !strings.Contains(msg, "fix: check that the authority host") {
		t.Errorf("error %q does not say the answer was left out and what to check", msg)
	}
}

// TestOversizedAnswerIsRefused is issue 12 item 10 for Key Vault: the SDK
// buffers every answer whole, so a hostile or misrouted vault answering
// with a huge body could exhaust the agent's memory. The transport's bound
// fails the request, once, with a clear "too large".
func TestOversizedAnswerIsRefused(t *testing.T) {
	e := newEnv(t)
	limited, err := transport.New(transport.Options{CAFile: e.caFile, Dial: e.dial, MaxResponseBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	e.hc = limited
	var answered atomic.Int64
	v := e.hostileVault(func(w http.ResponseWriter, _ *http.Request) {
		answered.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"value":"`+strings.Repeat("x", 2<<20)+`"}`)
	})
	err = fetchErr(t, v, "db-password")
	if !strings.Contains(err.Error(), "too large: more than 1048576 bytes") || !strings.Contains(err.Error(), "fix: raise the agent container's memory limit") {
		t.Errorf("error = %v, want a too-large error with its fix", err)
	}
	if n := answered.Load(); n != 1 {
		t.Errorf("the oversized answer was requested %d times, want 1 (not retried)", n)
	}
}
