package transport_test

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/devca"
)

// testCA returns a fresh dev CA and its PEM written to a file.
func testCA(t *testing.T) (*devca.CA, string) {
	t.Helper()
	ca, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(path, ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return ca, path
}

// serve starts h on a loopback TLS listener with a leaf from ca that also
// names *.vault.azure.net. cfg may adjust the server's TLS config.
func serve(t *testing.T, ca *devca.CA, h http.Handler, http2 bool, cfg func(*tls.Config)) *httptest.Server {
	t.Helper()
	tc, err := ca.TLSConfig("*.vault.azure.net")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		cfg(tc)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = tc
	srv.EnableHTTP2 = http2
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// routeTo returns a dialer that sends every connection to addr, whatever
// host the request names, so real Azure host names reach local listeners.
func routeTo(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

// testContext bounds a test's requests so a regression fails instead of hanging.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// get sends a GET to url through hc and returns the response with its body read.
func get(ctx context.Context, hc *http.Client, url string, header http.Header) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, string(body), err
}
