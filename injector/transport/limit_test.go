package transport_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/transport"
)

func TestMaxResponseBytes(t *testing.T) {
	ca, caFile := testCA(t)
	const limit = 1 << 20
	srv := serve(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := limit
		if r.URL.Path == "/over" {
			n++
		}
		_, _ = w.Write([]byte(strings.Repeat("x", n)))
	}), false, nil)
	hc, err := transport.New(transport.Options{CAFile: caFile, MaxResponseBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	if _, body, err := get(testContext(t), hc, srv.URL+"/at", nil); err != nil || len(body) != limit {
		t.Errorf("a body of exactly the limit: %d bytes, %v", len(body), err)
	}
	_, _, err = get(testContext(t), hc, srv.URL+"/over", nil)
	var tl *transport.TooLargeError
	if !errors.As(err, &tl) || !strings.Contains(err.Error(), "too large: more than 1048576 bytes") {
		t.Errorf("a body one byte over the limit: %v, want a *transport.TooLargeError", err)
	}
}
