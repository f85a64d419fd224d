// Package devca is the certificate authority of `fig-injector dev`: the
// Entra ID and Key Vault emulators must speak TLS (MSAL refuses non-https
// authorities and azcore refuses to send bearer tokens over http), so dev
// mode, the tests and the kind walkthrough need a CA that clients can be told
// to trust, and leaf certificates that name every host the emulators are
// reached as (loopback, in-cluster service names, and the real Azure host
// names when a test routes those to the emulators).
//
// Keys are ECDSA P-256. The CA can live only in memory (tests) or in a
// directory (dev mode), where it is reused across restarts so that clients
// configured with its PEM keep trusting the emulators.
package devca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// caValidity is long because a dev CA that expires silently breaks every
// cluster and shell that was told to trust it.
const caValidity = 10 * 365 * 24 * time.Hour

// backdate covers clock skew between the host and, for example, kind nodes.
const backdate = time.Hour

// CA is a certificate authority able to issue server certificates. It is
// safe for concurrent use: it is never modified after construction.
type CA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

// New generates a fresh CA that lives only in memory.
func New() (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ca key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "fig-injector dev CA", Organization: []string{"fig-injector dev"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create ca certificate: %w", err)
	}
	return fromDER(der, key)
}

// fromDER builds a CA from its certificate and key, checking that they belong
// together and that the certificate may sign.
func fromDER(der []byte, key *ecdsa.PrivateKey) (*CA, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse ca certificate: %w", err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("certificate %q is not a ca", cert.Subject.CommonName)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("ca key does not match ca certificate %q", cert.Subject.CommonName)
	}
	return &CA{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// Certificate returns the CA certificate.
func (c *CA) Certificate() *x509.Certificate { return c.cert }

// CertPEM returns the CA certificate in PEM form: what a client needs to
// trust the emulators (SSL_CERT_FILE, a ConfigMap, a test's RootCAs).
func (c *CA) CertPEM() []byte { return append([]byte(nil), c.certPEM...) }

// CertPool returns a new pool holding only this CA, so that a client built
// with it trusts the emulators and nothing else (a test that reaches the real
// internet by mistake fails on the handshake instead of passing).
func (c *CA) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(c.cert)
	return pool
}

// randomSerial returns a 128-bit positive serial number, as RFC 5280 asks
// serials to be unique per CA.
func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generate serial: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil
}
