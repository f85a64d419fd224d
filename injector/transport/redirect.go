package transport

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects bounds a same-origin redirect chain, as net/http's default does.
const maxRedirects = 10

// RedirectError is a redirect the HTTP policy refused. It names the hop
// (status, from and to, without their query strings) so that an operator can see which server redirected where.
type RedirectError struct {
	Status   int
	From, To *url.URL
}

// RedirectRefused begins every RedirectError's text, for callers that get
// it through a library that keeps no error chain (azidentity).
const RedirectRefused = "refused to follow a redirect"

// Error implements error.
func (e *RedirectError) Error() string {
	return fmt.Sprintf(RedirectRefused+" (HTTP %d) from %s to %s: the request carries credentials, and Entra ID and Key Vault never redirect",
		e.Status, hop(e.From), hop(e.To))
}

// NonRetriable tells the Azure SDK's retry policy (errorinfo.NonRetriable)
// not to send the request again: the answer would be the same redirect.
func (e *RedirectError) NonRetriable() {}

// RefuseRedirects is the CheckRedirect of every client New returns: a 3xx
// is an error, never followed. Go re-sends custom headers (Fig's client
// secret) to any host and the Authorization header to the same host even over
// plain http, and re-posts a 307's body (Entra's client_assertion) anywhere;
// neither Entra ID nor Key Vault needs a redirect followed to work.
func RefuseRedirects(req *http.Request, via []*http.Request) error {
	return &RedirectError{Status: redirectStatus(req), From: via[len(via)-1].URL, To: req.URL}
}

// SameOriginRedirects returns a copy of hc that follows redirects only
// within the first request's origin (scheme, host and port, RFC 6454), at
// most 10 in a row. A redirect to any other origin is not followed: the 3xx
// itself comes back to the caller, which reports it. Fig.Client (.NET
// HttpClient) follows redirects, so a Fig API moved within its origin keeps
// working, and the client secret header never leaves the origin.
func SameOriginRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !SameOrigin(req.URL, via[0].URL) {
			return http.ErrUseLastResponse
		}
		if len(via) >= maxRedirects {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// SameOrigin reports whether a and b have the same scheme, host and port,
// a scheme's default port counting as given.
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// port is u's port, or its scheme's default.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// redirectStatus is the status of the response that caused req.
func redirectStatus(req *http.Request) int {
	if req.Response != nil {
		return req.Response.StatusCode
	}
	return 0
}

// hop prints u as scheme://host/path: no user info, query or fragment,
// where a hostile Location could put anything.
func hop(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
