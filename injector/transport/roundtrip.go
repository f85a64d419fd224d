package transport

import (
	"net/http"
	"time"
)

// roundTripper adds the default User-Agent, reports each request to
// observe and bounds each response body. It wraps the *http.Transport rather than replacing it so pooling,
// proxying and HTTP/2 stay the standard library's.
type roundTripper struct {
	base      http.RoundTripper
	userAgent string
	observe   func(host string, status int, d time.Duration)
	maxBody   int64 // 0: unlimited
}

// RoundTrip implements http.RoundTripper. It never modifies req: a request
// that needs a User-Agent is cloned first, as the RoundTripper contract asks.
func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", rt.userAgent)
	}
	start := time.Now()
	resp, err := rt.base.RoundTrip(req)
	if rt.observe != nil {
		status := 0
		if err == nil {
			status = resp.StatusCode
		}
		rt.observe(req.URL.Hostname(), status, time.Since(start))
	}
	if err == nil && rt.maxBody > 0 {
		resp.Body = &limitedBody{ReadCloser: resp.Body, limit: rt.maxBody, left: rt.maxBody}
	}
	return resp, err
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the pool.
func (rt *roundTripper) CloseIdleConnections() {
	if c, ok := rt.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
