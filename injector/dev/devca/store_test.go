package devca_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/devca"
)

func TestLoadOrCreateKeepsTrustAcrossRestarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	first, err := devca.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{devca.CACertFile: 0o644, devca.CAKeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %v, want %v", name, got, want)
		}
	}
	onDisk, err := os.ReadFile(filepath.Join(dir, devca.CACertFile))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(first.CertPEM()), string(onDisk)); diff != "" {
		t.Errorf("ca.crt differs from CertPEM (-want +got):\n%s", diff)
	}

	second, err := devca.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Certificate().Equal(second.Certificate()) {
		t.Fatal("restart produced a different CA")
	}
	// A leaf from the reloaded CA is trusted by a client configured earlier.
	leaf, err := second.Issue("fig-api.fig.svc")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Certificate.Leaf.Verify(x509.VerifyOptions{DNSName: "fig-api.fig.svc", Roots: first.CertPool()}); err != nil {
		t.Fatalf("leaf of reloaded CA not trusted by the original pool: %v", err)
	}
}

func TestLoadOrCreateRefusesBrokenDirectories(t *testing.T) {
	good, goodKey := storedCA(t)
	_, otherKey := storedCA(t)
	rsaLike := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("x")})

	tests := []struct {
		name    string
		files   map[string][]byte
		wantErr string
	}{
		{"certificate without key", map[string][]byte{devca.CACertFile: good.CertPEM()}, "ca.key"},
		{"key without certificate", map[string][]byte{devca.CAKeyFile: goodKey}, "ca.crt"},
		{"key of another ca", map[string][]byte{devca.CACertFile: good.CertPEM(), devca.CAKeyFile: otherKey}, "does not match"},
		{"garbage certificate", map[string][]byte{devca.CACertFile: []byte("nope"), devca.CAKeyFile: goodKey}, "no PEM certificate"},
		{"unsupported key type", map[string][]byte{devca.CACertFile: good.CertPEM(), devca.CAKeyFile: rsaLike}, "PEM type"},
		{"leaf instead of ca", map[string][]byte{devca.CACertFile: leafPEMOf(t, good), devca.CAKeyFile: goodKey}, "not a ca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			_, err := devca.LoadOrCreate(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("LoadOrCreate error = %v, want it to mention %q", err, tt.wantErr)
			}
			// Nothing was replaced.
			for name, data := range tt.files {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(data), string(got)); diff != "" {
					t.Errorf("%s was rewritten (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

func TestLoadOrCreateHandMadeCAs(t *testing.T) {
	tests := []struct {
		name     string
		notAfter time.Duration // from now
		wantErr  string        // "" = loads
	}{
		// openssl ecparam -genkey writes "EC PRIVATE KEY"; such a CA loads.
		{"sec1 key", time.Hour, ""},
		{"expired", -time.Minute, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, handMadeCA(t, time.Now().Add(tt.notAfter)))
			_, err := devca.LoadOrCreate(dir)
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("LoadOrCreate error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

// handMadeCA returns ca.crt and ca.key (SEC 1) of a CA valid until notAfter.
func handMadeCA(t *testing.T, notAfter time.Time) map[string][]byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(7),
		Subject:               pkix.Name{CommonName: "hand-made CA"},
		NotBefore:             notAfter.Add(-48 * time.Hour),
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		devca.CACertFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		devca.CAKeyFile:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}),
	}
}

func TestWriteLeafAndWriteCA(t *testing.T) {
	ca, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue("webhook.fig.svc")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "tls")
	if err := devca.WriteLeaf(dir, leaf); err != nil {
		t.Fatal(err)
	}
	if err := ca.WriteCA(dir); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, devca.CertFile), filepath.Join(dir, devca.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pair.Leaf.Verify(x509.VerifyOptions{DNSName: "webhook.fig.svc", Roots: ca.CertPool()}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, devca.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("tls.key stat = %v, %v; want mode 0600", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, devca.CAKeyFile)); !os.IsNotExist(err) {
		t.Fatalf("WriteCA wrote the CA key: stat error = %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{devca.CACertFile, devca.CertFile, devca.KeyFile}, names); diff != "" {
		t.Errorf("directory contents (-want +got), no temporary files expected:\n%s", diff)
	}
}

// storedCA creates a CA in a directory and returns it with its key PEM
// (the only way a CA's key leaves the process).
func storedCA(t *testing.T) (*devca.CA, []byte) {
	t.Helper()
	dir := t.TempDir()
	ca, err := devca.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dir, devca.CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return ca, key
}

func leafPEMOf(t *testing.T, ca *devca.CA) []byte {
	t.Helper()
	leaf, err := ca.Issue()
	if err != nil {
		t.Fatal(err)
	}
	return leaf.CertPEM
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
