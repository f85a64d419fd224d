package devca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"strings"
	"time"
)

// leafValidity is a year: leaves are issued afresh on every start, so they
// only need to outlive one dev session or one test cluster.
const leafValidity = 365 * 24 * time.Hour

// defaultHosts are in every leaf so that loopback clients work whatever name
// or address family they use.
func defaultHosts() []string { return []string{"localhost", "127.0.0.1", "::1"} }

// Leaf is a server certificate issued by a CA, with its key.
type Leaf struct {
	// Certificate is ready for tls.Config.Certificates.
	Certificate tls.Certificate
	// CertPEM is the leaf certificate alone, PEM encoded.
	CertPEM []byte
	// KeyPEM is the leaf's private key, PKCS #8 in PEM.
	KeyPEM []byte
}

// Hosts returns the names a leaf for extra would carry: the loopback
// defaults followed by extra, without duplicates (compared case-insensitively
// for names), in that order.
func Hosts(extra ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range append(defaultHosts(), extra...) {
		h = strings.TrimSpace(h)
		key := strings.ToLower(h)
		if h == "" || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, h)
	}
	return out
}

// Issue creates a server certificate for localhost, 127.0.0.1, ::1 and
// every extra host. A host that parses as an IP address becomes an IP SAN,
// anything else a DNS SAN, so wildcards such as "*.vault.azure.net" and
// in-cluster names such as "entra.fig-dev.svc" work as given.
func (c *CA) Issue(extra ...string) (*Leaf, error) {
	hosts := Hosts(extra...)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate leaf key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"fig-injector dev"}},
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(leafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return nil, fmt.Errorf("create leaf certificate: %w", err)
	}
	leafCert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse leaf certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode leaf key: %w", err)
	}
	return &Leaf{
		Certificate: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leafCert},
		CertPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:      pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// TLSConfig issues a leaf for the loopback names plus extra and returns a
// server configuration presenting it. One leaf carries every name, so a
// single listener can stand in for several hosts (for example
// login.microsoftonline.com and *.vault.azure.net behind a test dialer).
func (c *CA) TLSConfig(extra ...string) (*tls.Config, error) {
	leaf, err := c.Issue(extra...)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{leaf.Certificate},
	}, nil
}

// ClientTLSConfig returns a client configuration that trusts this CA only.
func (c *CA) ClientTLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: c.CertPool()}
}
