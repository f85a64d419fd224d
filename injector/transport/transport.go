package transport

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// Defaults for Options.
const (
	// DefaultTimeout bounds a whole request, body included. Key Vault and
	// Entra answer in well under a second; 30 s leaves room for a slow proxy
	// without letting one stuck request hold a poll for minutes.
	DefaultTimeout = 30 * time.Second
	// DefaultUserAgent is sent when neither the caller nor the request sets one.
	DefaultUserAgent = "fig-injector"
)

// Pool and handshake limits. A sidecar talks to a handful of hosts (Fig, one
// Entra authority, a few vaults), so a small idle pool per host suffices; it
// is sized above keyvault's default concurrency (8) so parallel GETs reuse
// connections instead of re-handshaking.
const (
	dialTimeout           = 10 * time.Second
	keepAlive             = 30 * time.Second
	tlsHandshakeTimeout   = 10 * time.Second
	responseHeaderTimeout = 20 * time.Second
	expectContinueTimeout = time.Second
	idleConnTimeout       = 90 * time.Second
	maxIdleConns          = 64
	maxIdleConnsPerHost   = 16
)

// Options configure New. The zero value is usable.
type Options struct {
	// CAFile is a PEM bundle trusted in addition to the system roots
	// (tls.caFile in the agent config); empty means system roots only.
	CAFile string
	// Timeout bounds each request including reading the body; zero means
	// DefaultTimeout, negative means none (the caller's context decides).
	Timeout time.Duration
	// UserAgent is set on requests that carry none (the Azure SDK sets its
	// own); empty means DefaultUserAgent.
	UserAgent string
	// Dial replaces the dialer. Tests use it to route real host names
	// (login.microsoftonline.com, *.vault.azure.net) to local listeners so
	// that production URLs can be exercised offline. Nil dials normally.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Observe, when set, is called once per request after the response
	// headers arrived (status = HTTP status) or the request failed (status 0),
	// with the URL's host name only: paths and queries name secrets and must
	// not become metric labels.
	Observe func(host string, status int, d time.Duration)
	// MaxResponseBytes, when positive, bounds every response body: reading
	// past it fails with a *TooLargeError. The agent derives it from its
	// memory limit; the Azure SDK would otherwise buffer any answer whole.
	MaxResponseBytes int64
}

// New returns an *http.Client configured as the package doc describes. Its
// only error is an unusable CAFile, named together with the fix.
func New(opts Options) (*http.Client, error) {
	roots, err := rootPool(opts.CAFile)
	if err != nil {
		return nil, err
	}
	dial := opts.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: dialTimeout, KeepAlive: keepAlive}).DialContext
	}
	base := &http.Transport{
		Proxy:       http.ProxyFromEnvironment,
		DialContext: dial,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			RootCAs:    roots,
		},
		// A custom TLS config and dialer disable HTTP/2 unless asked for.
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: responseHeaderTimeout,
		ExpectContinueTimeout: expectContinueTimeout,
		IdleConnTimeout:       idleConnTimeout,
		MaxIdleConns:          maxIdleConns,
		MaxIdleConnsPerHost:   maxIdleConnsPerHost,
	}
	timeout := opts.Timeout
	switch {
	case timeout == 0:
		timeout = DefaultTimeout
	case timeout < 0:
		timeout = 0
	}
	if opts.Timeout > responseHeaderTimeout {
		// A longer request timeout is for a server that works before it
		// answers (a Fig reading Key Vault): let the headers wait as long.
		base.ResponseHeaderTimeout = timeout
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: RefuseRedirects,
		Transport:     &roundTripper{base: base, userAgent: ua, observe: opts.Observe, maxBody: opts.MaxResponseBytes},
	}, nil
}
