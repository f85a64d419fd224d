package keyvault_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fig-injector/fig-injector/injector/source/keyvault"
)

// TestRedirectIsNeverFollowed is issue 12 item 1 through the real SDK: a
// vault answering an authorised GET with 307 to plain http on its own host
// (Go re-sends Authorization to the same host name, whatever the port and
// scheme) must not get the bearer token to that listener, nor have the
// listener's answer taken as the secret.
func TestRedirectIsNeverFollowed(t *testing.T) {
	e := newEnv(t)
	e.set("db-password", "the real value")
	var leaked, redirected atomic.Int64
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		_, _ = w.Write([]byte(`{"value":"from the attacker","id":"https://x/secrets/db-password/0123456789abcdef0123456789abcdef","attributes":{"enabled":true}}`))
	}))
	t.Cleanup(attacker.Close)
	v := e.hostileVault(func(w http.ResponseWriter, r *http.Request) {
		redirected.Add(1)
		http.Redirect(w, r, attacker.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	})
	se := fetchErr(t, v, "db-password")
	for _, w := range []string{"refused to follow a redirect (HTTP 307)", attacker.URL + "/secrets/db-password"} {
		if !strings.Contains(se.Error(), w) {
			t.Errorf("error %q does not name %q", se, w)
		}
	}
	if se.Temporary {
		t.Error("a refused redirect is marked temporary")
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("the bearer token reached the plain-http listener %d times", n)
	}
	if n := redirected.Load(); n != 1 {
		t.Errorf("the vault answered %d authorised requests with a redirect, want 1 (no SDK retries)", n)
	}
}

// TestTokenRedirectIsNeverFollowed: an authority answering the token POST
// with 307 elsewhere would get the federated token (client_assertion)
// re-posted there; the credential must fail naming the hop instead.
func TestTokenRedirectIsNeverFollowed(t *testing.T) {
	e := newEnv(t)
	e.set("db-password", "the real value")
	var posted atomic.Int64
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posted.Add(1)
		_, _ = w.Write([]byte(`{"access_token":"x","token_type":"Bearer","expires_in":3600}`))
	}))
	t.Cleanup(attacker.Close)
	authority := serveTLS(t, e.ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			http.Redirect(w, r, attacker.URL+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		e.idp.ServeHTTP(w, r)
	}))
	v, err := keyvault.NewVault(e.vaultURL, e.credential(subject, authority.URL+"/"), keyvault.VaultOptions{HTTPClient: e.hc, DisableChallengeResourceVerification: true})
	if err != nil {
		t.Fatal(err)
	}
	se := fetchErr(t, v, "db-password")
	if !strings.Contains(se.Error(), "refused to follow a redirect (HTTP 307) from "+authority.URL) {
		t.Fatalf("error = %v, want the refused redirect named", se)
	}
	if se.Temporary || !strings.Contains(se.Fix, "authority host") {
		t.Errorf("Temporary = %v, Fix = %q; want a permanent error with the redirect's fix", se.Temporary, se.Fix)
	}
	if n := posted.Load(); n != 0 {
		t.Errorf("the federated token was re-posted to the redirect target %d times", n)
	}
}
