package transport

import (
	"net/http"
	"time"
)

// roundTripper adds the default User-Agent and reports each request to
// observe. It wraps the *http.Transport rather than replacing it so pooling,
// proxying and HTTP/2 stay the standard library's.
type roundTripper struct {
	base      http.RoundTripper
	userAgent string
	observe   func(host string, status int, d time.Duration)
}

// RoundTrip implements http.RoundTripper. It never modifies req: a request
// that needs a User-Agent is cloned first, as the RoundTripper contract asks.
func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", rt.userAgent)
	}
	if rt.observe == nil {
		return rt.base.RoundTrip(req)
	}
	start := time.Now()
	resp, err := rt.base.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	rt.observe(req.URL.Hostname(), status, time.Since(start))
	return resp, err
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the pool.
func (rt *roundTripper) CloseIdleConnections() {
	if c, ok := rt.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
