package webhook

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
)

// chunked hides a body's length, so the client sends it chunked (no
// Content-Length): the limit must hold while reading.
type chunked struct{ io.Reader }

// TestOversizedReviewsAreRefused: a body larger than the memory budget
// allows is refused with 413 before it is read when its length is declared,
// and cut off with 400 when it is not; before, up to 7 MiB were buffered per
// request whatever the memory limit.
func TestOversizedReviewsAreRefused(t *testing.T) {
	s := startServer(t, testConfig, nil)
	limits := newReviewLimits(DefaultMemoryLimit, newMetrics(prometheus.NewRegistry()))
	big := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","x":"` + strings.Repeat("x", int(limits.maxBody)) + `"}`
	for _, tc := range []struct {
		name   string
		body   io.Reader
		status int
		reason string
	}{
		{"declared length", strings.NewReader(big), http.StatusRequestEntityTooLarge, "larger than this webhook accepts"},
		{"chunked", chunked{strings.NewReader(big)}, http.StatusBadRequest, "read body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := s.client.Post(s.url+"/mutate", "application/json", tc.body)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			msg, _ := io.ReadAll(r.Body)
			if r.StatusCode != tc.status || !strings.Contains(string(msg), tc.reason) {
				t.Errorf("HTTP %d %q, want %d with %q", r.StatusCode, msg, tc.status, tc.reason)
			}
		})
	}
	if m := s.get(t, "/metrics"); !strings.Contains(m, `fig_injector_webhook_reviews_refused_total{reason="too_large"} 1`) {
		t.Errorf("the 413 is not counted:\n%s", m)
	}
	if limits.maxBody >= maxReviewBytes || limits.maxBody < 256<<10 {
		t.Errorf("under the chart's 128Mi the body limit is %d bytes, want below %d (the budget binds) and at least 256 KiB", limits.maxBody, maxReviewBytes)
	}
}

// TestReviewsBeyondTheBudgetWaitThenGet429: while the reviews in flight
// hold the whole budget, another waits, then is refused with 429 and
// Retry-After (the API server applies the failurePolicy to that one pod);
// once the budget frees up, reviews are served again.
func TestReviewsBeyondTheBudgetWaitThenGet429(t *testing.T) {
	m := newMetrics(prometheus.NewRegistry())
	limits := newReviewLimits(0, m) // the smallest budget: one review at a time
	entered, release := make(chan struct{}), make(chan struct{})
	hold := func(ctx context.Context, _ *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
		select {
		case entered <- struct{}{}:
			<-release
		default:
		}
		return allowed("test")
	}
	srv := httptest.NewServer(limits.wrap(serveReviews(hold, slog.New(slog.DiscardHandler))))
	defer srv.Close()
	body := review(t, newPod(), admissionv1.Create)
	post := func() *http.Response {
		r, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Error(err)
			return nil
		}
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		return r
	}
	first := make(chan *http.Response, 1)
	go func() { first <- post() }()
	<-entered // the first review holds the budget
	r := post()
	if r == nil || r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("a review beyond the budget got %v, want 429 with Retry-After", r)
	}
	close(release)
	if r := <-first; r == nil || r.StatusCode != http.StatusOK {
		t.Fatalf("the review in flight got %v, want 200", r)
	}
	if r := post(); r == nil || r.StatusCode != http.StatusOK {
		t.Fatalf("a review after the budget freed got %v, want 200", r)
	}
}
