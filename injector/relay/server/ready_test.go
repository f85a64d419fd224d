package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func certValid(from, to time.Time) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		return &tls.Certificate{Leaf: &x509.Certificate{NotBefore: from, NotAfter: to}}, nil
	}
}

// TestReadiness: ready while the serving certificate is valid and the API
// server answered a TokenReview within the last 30 s (asked at most every
// 10 s); Fig and Key Vault play no part.
func TestReadiness(t *testing.T) {
	apiDown := errors.New("dial tcp 10.0.0.1:443: connect: connection refused")
	type step struct {
		after     time.Duration // since t0
		reviewErr error
		want      string // "" ready, else a part of the reason
	}
	tests := []struct {
		name  string
		cert  func(*tls.ClientHelloInfo) (*tls.Certificate, error)
		steps []step
		// reviews is how many TokenReviews the steps cost.
		reviews int
	}{
		{"valid certificate, API answers", certValid(t0.Add(-time.Hour), t0.Add(time.Hour)),
			[]step{{0, nil, ""}, {5 * time.Second, nil, ""}, {10 * time.Second, nil, ""}}, 2},
		{"expired certificate", certValid(t0.Add(-2*time.Hour), t0.Add(-time.Hour)),
			[]step{{0, nil, "expired at 2025-12-31T23:00:00Z"}}, 0},
		{"no certificate", func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return nil, errors.New("load tls key pair: no such file")
		},
			[]step{{0, nil, "no serving certificate"}}, 0},
		{"API never answered", certValid(t0.Add(-time.Hour), t0.Add(time.Hour)),
			[]step{{0, apiDown, "since the start: dial tcp"}}, 1},
		{"an API blip shorter than 30 s keeps it ready", certValid(t0.Add(-time.Hour), t0.Add(time.Hour)),
			[]step{{0, nil, ""}, {10 * time.Second, apiDown, ""}, {20 * time.Second, apiDown, ""}, {30 * time.Second, apiDown, ""},
				{40 * time.Second, apiDown, "for 40s: dial tcp"}, {50 * time.Second, nil, ""}}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			var reviewErr error
			reviews := 0
			r := &server.Readiness{Certificate: tt.cert, Now: func() time.Time { return now },
				Review: func(context.Context) error { reviews++; return reviewErr }}
			for _, st := range tt.steps {
				now, reviewErr = t0.Add(st.after), st.reviewErr
				err := r.Check(context.Background())
				switch {
				case st.want == "" && err != nil:
					t.Errorf("at %s: %v, want ready", st.after, err)
				case st.want != "" && (err == nil || !strings.Contains(err.Error(), st.want)):
					t.Errorf("at %s: %v, want a reason naming %q", st.after, err, st.want)
				}
			}
			if reviews != tt.reviews {
				t.Errorf("%d TokenReviews, want %d", reviews, tt.reviews)
			}
		})
	}
}

// TestReadyzAnswers503WithTheReason: /readyz says why, and /healthz stays
// ok (the process is alive; a restart would not help).
func TestReadyzAnswers503WithTheReason(t *testing.T) {
	var reason error = errors.New("cannot verify subscribers")
	logs := &testutil.Buffer{}
	srv := httptest.NewServer(server.New(server.Options{Hub: hub.New(nil), Authorizer: devenv.RelayPod{}, Log: slog.New(slog.NewJSONHandler(logs, nil)),
		Ready: func(context.Context) error { return reason }}))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "cannot verify subscribers") {
		t.Errorf("/readyz: %d %q, want 503 naming the reason", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz: %d, want 200", code)
	}
	reason = nil
	if code, body := get("/readyz"); code != 200 || body != "ok\n" {
		t.Errorf("/readyz once ready: %d %q", code, body)
	}
	if !strings.Contains(logs.String(), "not ready") || !strings.Contains(logs.String(), "ready again") {
		t.Errorf("the log does not say when readiness changed:\n%s", logs)
	}
}
