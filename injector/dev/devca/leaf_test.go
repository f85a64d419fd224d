package devca_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/devca"
)

func TestHosts(t *testing.T) {
	tests := []struct {
		name  string
		extra []string
		want  []string
	}{
		{"defaults only", nil, []string{"localhost", "127.0.0.1", "::1"}},
		{"extras appended", []string{"login.microsoftonline.com", "10.0.0.1"},
			[]string{"localhost", "127.0.0.1", "::1", "login.microsoftonline.com", "10.0.0.1"}},
		{"duplicates and blanks dropped", []string{"LOCALHOST", " ", "a.svc", "a.svc", "::1"},
			[]string{"localhost", "127.0.0.1", "::1", "a.svc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, devca.Hosts(tt.extra...)); diff != "" {
				t.Errorf("Hosts() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIssueCoversHosts(t *testing.T) {
	ca, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue("login.microsoftonline.com", "*.vault.azure.net", "entra.fig-dev.svc", "10.96.0.10")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		ok   bool
	}{
		{"localhost", true},
		{"127.0.0.1", true},
		{"::1", true},
		{"login.microsoftonline.com", true},
		{"myvault.vault.azure.net", true},
		{"entra.fig-dev.svc", true},
		{"10.96.0.10", true},
		{"vault.azure.net", false},     // a wildcard needs a label
		{"a.b.vault.azure.net", false}, // and covers exactly one
		{"login.windows.net", false},   // not asked for
		{"10.96.0.11", false},          // not asked for
		{"fig-api.fig.svc", false},     // not asked for
		{"evil.microsoftonline.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			_, err := leaf.Certificate.Leaf.Verify(x509.VerifyOptions{
				DNSName:   tt.host,
				Roots:     ca.CertPool(),
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			})
			if (err == nil) != tt.ok {
				t.Errorf("Verify(%q) error = %v, want ok=%v", tt.host, err, tt.ok)
			}
		})
	}
}

func TestIssuedLeafIsNotTrustedByAnotherCA(t *testing.T) {
	ca1, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	ca2, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca1.Issue()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Certificate.Leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: ca2.CertPool()}); err == nil {
		t.Fatal("leaf of one CA verified against another CA")
	}
}

// TestTLSConfigServesHTTPS runs a real HTTPS server with TLSConfig and
// reaches it under every name a test dialer may route to it.
func TestTLSConfigServesHTTPS(t *testing.T) {
	ca, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	serverTLS, err := ca.TLSConfig("login.microsoftonline.com", "*.vault.azure.net")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverTLS)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Host)
	}), ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	addr := ln.Addr().String()
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: ca.ClientTLSConfig(),
		// Every host name goes to the one listener, as the offline tests do.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
	}}
	for _, host := range []string{"localhost", "127.0.0.1", "login.microsoftonline.com", "myvault.vault.azure.net"} {
		t.Run(host, func(t *testing.T) {
			resp, err := client.Get("https://" + host + "/")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(host, string(body)); diff != "" {
				t.Errorf("host seen by server (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("name outside the leaf", func(t *testing.T) {
		resp, err := client.Get("https://example.com/")
		if err == nil {
			resp.Body.Close()
			t.Fatal("handshake for example.com succeeded")
		}
		var hostErr x509.HostnameError
		if !errors.As(err, &hostErr) {
			t.Fatalf("error = %v, want a hostname mismatch", err)
		}
	})
}
