package transport_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/transport"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

func TestNewCAFileErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name string
		file string
		want []string // substrings of the error
	}{
		{"missing", missing, []string{"tls.caFile", missing, "no such file", "fix: mount the CA bundle"}},
		{"directory", dir, []string{"tls.caFile", dir, "fix:"}},
		{"not PEM", garbage, []string{"tls.caFile", garbage, "holds no PEM certificate", "BEGIN CERTIFICATE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := transport.New(transport.Options{CAFile: tt.file})
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestNewTrustsCAFileInAdditionToSystemRoots(t *testing.T) {
	ca, caFile := testCA(t)
	srv := serve(t, ca, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }), false, nil)
	ctx := testContext(t)

	t.Run("without CAFile the private CA is not trusted", func(t *testing.T) {
		hc, err := transport.New(transport.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = get(ctx, hc, srv.URL, nil)
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Fatalf("error = %v, want x509.UnknownAuthorityError", err)
		}
	})
	t.Run("with CAFile", func(t *testing.T) {
		hc, err := transport.New(transport.Options{CAFile: caFile})
		if err != nil {
			t.Fatal(err)
		}
		_, body, err := get(ctx, hc, srv.URL, nil)
		if err != nil || body != "ok" {
			t.Fatalf("got %q, %v; want ok", body, err)
		}
	})
}

func TestNewRefusesTLSBelow12(t *testing.T) {
	ca, caFile := testCA(t)
	srv := serve(t, ca, http.NotFoundHandler(), false, func(c *tls.Config) {
		c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	})
	hc, err := transport.New(transport.Options{CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := get(testContext(t), hc, srv.URL, nil); err == nil {
		t.Fatal("request to a TLS 1.1 server succeeded, want a handshake failure")
	}
}

func TestNewNegotiatesHTTP2(t *testing.T) {
	ca, caFile := testCA(t)
	srv := serve(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(r.Proto)) }), true, nil)
	hc, err := transport.New(transport.Options{CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	_, body, err := get(testContext(t), hc, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if body != "HTTP/2.0" {
		t.Errorf("server saw %s, want HTTP/2.0", body)
	}
}

func TestUserAgent(t *testing.T) {
	ca, caFile := testCA(t)
	srv := serve(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(r.UserAgent())) }), false, nil)
	tests := []struct {
		name, option, request, want string
	}{
		{"default", "", "", transport.DefaultUserAgent},
		{"configured", "fig-injector/1.2.3", "", "fig-injector/1.2.3"},
		{"request keeps its own", "fig-injector/1.2.3", "azsdk-go-azsecrets/v1.5.1", "azsdk-go-azsecrets/v1.5.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc, err := transport.New(transport.Options{CAFile: caFile, UserAgent: tt.option})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			if tt.request != "" {
				h.Set("User-Agent", tt.request)
			}
			_, body, err := get(testContext(t), hc, srv.URL, h)
			if err != nil {
				t.Fatal(err)
			}
			if body != tt.want {
				t.Errorf("User-Agent = %q, want %q", body, tt.want)
			}
		})
	}
}

func TestDialRoutesRealHostNames(t *testing.T) {
	ca, caFile := testCA(t)
	srv := serve(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(r.Host)) }), false, nil)
	hc, err := transport.New(transport.Options{CAFile: caFile, Dial: routeTo(srv.Listener.Addr().String())})
	if err != nil {
		t.Fatal(err)
	}
	_, body, err := get(testContext(t), hc, "https://orders-kv.vault.azure.net/secrets", nil)
	if err != nil {
		t.Fatal(err)
	}
	if body != "orders-kv.vault.azure.net" {
		t.Errorf("server saw Host %q, want orders-kv.vault.azure.net", body)
	}
}

// observation is one call of Options.Observe.
type observation struct {
	Host   string
	Status int
}

func TestObserveReportsHostAndStatusOnly(t *testing.T) {
	ca, caFile := testCA(t)
	srv := serve(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "missing") {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}), false, nil)
	var (
		mu   sync.Mutex
		got  []observation
		durs []time.Duration
	)
	hc, err := transport.New(transport.Options{
		CAFile: caFile,
		Dial:   routeTo(srv.Listener.Addr().String()),
		Observe: func(host string, status int, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, observation{host, status})
			durs = append(durs, d)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	for _, u := range []string{
		"https://kv.vault.azure.net/secrets/db-password/",
		"https://kv.vault.azure.net:443/secrets/missing-secret/?api-version=2026-04-01",
	} {
		if _, _, err := get(ctx, hc, u, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A failed connection reports status 0.
	failing, err := transport.New(transport.Options{Observe: func(host string, status int, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, observation{host, status})
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := get(ctx, failing, "https://"+testutil.DroppingAddr(t)+"/secrets/x", nil); err == nil {
		t.Fatal("request to a server that drops connections succeeded")
	}

	mu.Lock()
	defer mu.Unlock()
	want := []observation{{"kv.vault.azure.net", 200}, {"kv.vault.azure.net", 404}, {"127.0.0.1", 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observations (-want +got):\n%s", diff)
	}
	for i, d := range durs {
		if d <= 0 {
			t.Errorf("observation %d has duration %v, want > 0", i, d)
		}
	}
}

func TestTimeoutBoundsAHungServer(t *testing.T) {
	ca, caFile := testCA(t)
	srv := serve(t, ca, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }), false, nil)
	hc, err := transport.New(transport.Options{CAFile: caFile, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, err = get(testContext(t), hc, srv.URL, nil)
	if err == nil {
		t.Fatal("request to a hung server succeeded")
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("request gave up after %v, want about 200ms", elapsed)
	}
}
