package devca

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// File names inside a CA directory. They follow the kubernetes.io/tls Secret
// convention so the directory can be turned into a Secret or ConfigMap as is.
const (
	CACertFile = "ca.crt"  // the CA certificate (public; give it to clients)
	CAKeyFile  = "ca.key"  // the CA key (0600; never leaves the directory)
	CertFile   = "tls.crt" // a leaf certificate written by WriteLeaf
	KeyFile    = "tls.key" // a leaf key written by WriteLeaf (0600)
)

// LoadOrCreate returns the CA kept in dir, creating dir and a new CA when
// dir holds neither ca.crt nor ca.key. Reusing the CA across restarts keeps
// every client that was given ca.crt (a shell's SSL_CERT_FILE, a cluster's
// ConfigMap) working. A directory with only one of the two files, a key that
// does not match, or an expired CA is an error rather than silently replaced,
// since replacing it would break that trust without saying why.
func LoadOrCreate(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	certPEM, certErr := os.ReadFile(certPath)
	keyPEM, keyErr := os.ReadFile(keyPath)
	switch {
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
		return create(dir)
	case certErr != nil:
		return nil, fmt.Errorf("read dev ca: %w", certErr)
	case keyErr != nil:
		return nil, fmt.Errorf("read dev ca: %w", keyErr)
	}
	ca, err := parse(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load dev ca from %s (delete the directory to start over): %w", dir, err)
	}
	if time.Now().After(ca.cert.NotAfter) {
		return nil, fmt.Errorf("dev ca in %s expired on %s (delete the directory to start over)",
			dir, ca.cert.NotAfter.Format(time.DateOnly))
	}
	return ca, nil
}

// create makes a new CA and stores it in dir.
func create(dir string) (*CA, error) {
	ca, err := New()
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return nil, fmt.Errorf("encode ca key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create dev ca directory: %w", err)
	}
	// The key goes first: a crash between the two writes then leaves a
	// directory that LoadOrCreate reports instead of a certificate whose key
	// is gone.
	if err := writeFile(filepath.Join(dir, CAKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, CACertFile), ca.certPEM, 0o644); err != nil {
		return nil, err
	}
	return ca, nil
}

// parse decodes a PEM certificate and a PEM PKCS #8 (or SEC 1) EC key.
func parse(certPEM, keyPEM []byte) (*CA, error) {
	certBlock, _ := pem.Decode(certPEM)
	if certBlock == nil || certBlock.Type != "CERTIFICATE" {
		return nil, errors.New("ca.crt holds no PEM certificate")
	}
	keyBlock, _ := pem.Decode(keyPEM)
	if keyBlock == nil {
		return nil, errors.New("ca.key holds no PEM key")
	}
	var key *ecdsa.PrivateKey
	switch keyBlock.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse ca key: %w", err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("ca key is %T, want ECDSA", k)
		}
		key = ek
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(keyBlock.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse ca key: %w", err)
		}
		key = k
	default:
		return nil, fmt.Errorf("ca key has PEM type %q, want PRIVATE KEY", keyBlock.Type)
	}
	return fromDER(certBlock.Bytes, key)
}

// WriteCA writes the CA certificate (not the key) to dir/ca.crt, for
// handing trust to a place that must not hold the key.
func (c *CA) WriteCA(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory for ca: %w", err)
	}
	return writeFile(filepath.Join(dir, CACertFile), c.certPEM, 0o644)
}

// WriteLeaf writes leaf to dir/tls.crt and dir/tls.key (0600), the layout
// of a kubernetes.io/tls Secret, so a server outside this process can use it.
func WriteLeaf(dir string, leaf *Leaf) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory for leaf: %w", err)
	}
	if err := writeFile(filepath.Join(dir, KeyFile), leaf.KeyPEM, 0o600); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, CertFile), leaf.CertPEM, 0o644)
}

// writeFile replaces path atomically (temporary file in the same directory,
// then rename), so a concurrent reader never sees half a PEM block.
func writeFile(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}
