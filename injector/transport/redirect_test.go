package transport_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fig-injector/fig-injector/injector/transport"
)

// countingServer answers 200 and counts the requests that carry an
// Authorization header: where a followed redirect would leak the token.
type countingServer struct {
	*httptest.Server
	hits, authorized atomic.Int64
}

func newCounting(t *testing.T, start func(*httptest.Server)) *countingServer {
	t.Helper()
	c := &countingServer{}
	c.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		if r.Header.Get("Authorization") != "" {
			c.authorized.Add(1)
		}
		_, _ = w.Write([]byte(`{"value":"from the attacker"}`))
	}))
	start(c.Server)
	t.Cleanup(c.Close)
	return c
}

// TestClientRefusesEveryRedirect is issue 12 item 1: a vault answering 307
// to plain http on its own host received the bearer token, and one
// answering 307 elsewhere had that host's answer taken as the secret.
func TestClientRefusesEveryRedirect(t *testing.T) {
	ca, caFile := testCA(t)
	plain := newCounting(t, (*httptest.Server).Start)
	otherTLS := newCounting(t, func(s *httptest.Server) {
		tc, err := ca.TLSConfig()
		if err != nil {
			t.Fatal(err)
		}
		s.TLS = tc
		s.StartTLS()
	})
	plainURL, _ := url.Parse(plain.URL)
	tests := []struct {
		name, location string
		target         *countingServer
	}{
		{"same host over plain http", "http://127.0.0.1:" + plainURL.Port() + "/secrets/db", plain},
		{"same host, other port", otherTLS.URL + "/secrets/db", otherTLS},
		{"another host over plain http", "http://localhost:" + plainURL.Port() + "/secrets/db", plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var redirects atomic.Int64
			vault := serve(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				redirects.Add(1)
				http.Redirect(w, r, tt.location, http.StatusTemporaryRedirect)
			}), false, nil)
			hc, err := transport.New(transport.Options{CAFile: caFile})
			if err != nil {
				t.Fatal(err)
			}
			before := tt.target.hits.Load()
			_, body, err := get(testContext(t), hc, vault.URL+"/secrets/db", http.Header{"Authorization": {"Bearer eyJ0eXAi.eyJzdWIi.c2ln"}})
			var re *transport.RedirectError
			if !errors.As(err, &re) {
				t.Fatalf("error = %v (body %q), want a *transport.RedirectError", err, body)
			}
			for _, w := range []string{"HTTP 307", vault.URL + "/secrets/db", tt.location} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if n := tt.target.hits.Load() - before; n != 0 {
				t.Errorf("the redirect target received %d requests (%d with Authorization)", n, tt.target.authorized.Load())
			}
			if n := redirects.Load(); n != 1 {
				t.Errorf("the redirecting server saw %d requests, want 1", n)
			}
		})
	}
}

// TestSameOriginRedirects checks the Fig policy: scheme, host and port must
// all match for a redirect to be followed.
func TestSameOriginRedirects(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"https://fig:8080/x", "https://FIG:8080/y", true},
		{"https://fig/x", "https://fig:443/y", true},
		{"http://fig/x", "http://fig:80/y", true},
		{"https://fig:8080/x", "https://fig:8443/x", false},
		{"https://fig/x", "http://fig/x", false},
		{"https://fig/x", "https://fig.evil/x", false},
		{"https://fig/x", "https://fig:80/x", false},
	}
	for _, tt := range tests {
		a, _ := url.Parse(tt.a)
		b, _ := url.Parse(tt.b)
		if got := transport.SameOrigin(a, b); got != tt.same {
			t.Errorf("SameOrigin(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}
