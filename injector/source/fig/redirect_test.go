package fig

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRedirectToAnotherPortIsNotFollowed is issue 12 item 1: the redirect
// guard compared host names only, so a Fig API answering 307 to another
// port of its own host got the client secret header sent there.
func TestRedirectToAnotherPortIsNotFollowed(t *testing.T) {
	var secretsSeen atomic.Int64
	other := newFigServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("clientSecret") != "" {
			secretsSeen.Add(1)
		}
		_, _ = w.Write([]byte(`[]`))
	}))
	srv := newFigServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	if !strings.HasPrefix(other.URL, "https://127.0.0.1:") || !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
		t.Fatalf("servers at %s and %s, want one host with two ports", srv.URL, other.URL)
	}
	c := newTestClient(t, srv, nil)
	_, err := c.Settings(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP status 307") {
		t.Errorf("error = %v, want the 307 reported", err)
	}
	if n := secretsSeen.Load(); n != 0 {
		t.Errorf("the client secret reached the other port %d times", n)
	}
}
