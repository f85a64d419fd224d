package webhook

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fig-injector/fig-injector/injector/certreload"
	"github.com/fig-injector/fig-injector/injector/dev/devca"
)

func writePair(t *testing.T, dir string, leaf *devca.Leaf) {
	t.Helper()
	// Write as Kubernetes does for a Secret volume: new files, then swap.
	for name, data := range map[string][]byte{"tls.crt": leaf.CertPEM, "tls.key": leaf.KeyPEM} {
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCertificateReload serves from real files, replaces them, and expects
// the next connection to see the new certificate; a broken pair keeps the
// old one in service.
func TestCertificateReload(t *testing.T) {
	ca, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	first, _ := ca.Issue()
	writePair(t, dir, first)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	certs, err := certreload.New(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), log)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := ParseConfig([]byte(testConfig))
	reg := prometheus.NewRegistry()
	h := NewHandler(cfg, nil, reg, log)
	srv := newServer(h, newReviewLimits(DefaultMemoryLimit, h.metrics), reg, certs.GetCertificate, log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	serial := func() string {
		t.Helper()
		conn, err := tls.Dial("tcp", ln.Addr().String(), ca.ClientTLSConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	if got := serial(); got != first.Certificate.Leaf.SerialNumber.String() {
		t.Fatalf("serving %s, want the first certificate", got)
	}
	second, _ := ca.Issue()
	writePair(t, dir, second)
	if got := serial(); got != second.Certificate.Leaf.SerialNumber.String() {
		t.Errorf("after rotation serving %s, want the second certificate", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.key"), []byte("half-written"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := serial(); got != second.Certificate.Leaf.SerialNumber.String() {
		t.Errorf("with a broken key serving %s, want the second certificate still", got)
	}
}

// TestTLSOnlyModern: TLS 1.0 and 1.1 are refused, and so are TLS 1.2 suites
// without forward secrecy or authenticated encryption; TLS 1.2 with an
// ECDHE AEAD suite and TLS 1.3 are accepted.
func TestTLSOnlyModern(t *testing.T) {
	s := startServer(t, testConfig, nil)
	addr := s.url[len("https://"):]
	tests := []struct {
		name   string
		client *tls.Config
		ok     bool
	}{
		{"TLS 1.0", &tls.Config{MaxVersion: tls.VersionTLS10}, false},
		{"TLS 1.1", &tls.Config{MaxVersion: tls.VersionTLS11}, false},
		{"TLS 1.2 CBC", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA}}, false},
		{"TLS 1.2 RSA key exchange", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}}, false},
		{"TLS 1.2 ECDHE GCM", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}, true},
		{"TLS 1.2 ECDHE ChaCha20", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}}, true},
		{"TLS 1.3", &tls.Config{MinVersion: tls.VersionTLS13}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.client.InsecureSkipVerify = true //nolint:gosec // the handshake's parameters are the point, not the peer
			conn, err := tls.Dial("tcp", addr, tc.client)
			if err == nil {
				conn.Close()
			}
			if (err == nil) != tc.ok {
				t.Errorf("handshake error %v, want success %v", err, tc.ok)
			}
		})
	}
}

func TestNewCertReloaderFailsFast(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := certreload.New("/nonexistent/tls.crt", "/nonexistent/tls.key", log); err == nil {
		t.Fatal("want an error for missing files")
	}
}
