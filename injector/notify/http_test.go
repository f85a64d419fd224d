package notify

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// reloadServer answers each POST with the next status of script (the last
// one repeats) and counts the POSTs it got.
func reloadServer(t *testing.T, script ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.ContentLength != 0 {
			t.Errorf("got %s with %d body bytes, want POST with an empty body", r.Method, r.ContentLength)
		}
		n := int(posts.Add(1))
		w.WriteHeader(script[min(n, len(script))-1])
	}))
	t.Cleanup(srv.Close)
	return srv, &posts
}

func TestHTTPNotify(t *testing.T) {
	tests := []struct {
		name      string
		script    []int
		retries   int
		wantPosts int32
		wantErr   string // substring; "" for success
	}{
		{name: "2xx at once", script: []int{204}, retries: 3, wantPosts: 1},
		{name: "retry on 503 then success", script: []int{503, 503, 200}, retries: 3, wantPosts: 3},
		{name: "failure after retries", script: []int{503}, retries: 2, wantPosts: 3, wantErr: "HTTP 503 Service Unavailable (attempt 3 of 3)"},
		{name: "no retries configured", script: []int{500}, retries: 0, wantPosts: 1, wantErr: "HTTP 500"},
		{name: "4xx is not retried", script: []int{404, 200}, retries: 3, wantPosts: 1, wantErr: "HTTP 404 Not Found"},
		{name: "redirect is not followed", script: []int{302, 200}, retries: 3, wantPosts: 1, wantErr: "HTTP 302"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, posts := reloadServer(t, tt.script...)
			h := HTTP{URL: srv.URL + "/reload", Retries: tt.retries, Backoff: time.Millisecond}
			err := h.Notify(t.Context())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Notify: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), h.URL)):
				t.Fatalf("Notify = %v, want an error naming %s and %q", err, h.URL, tt.wantErr)
			}
			if got := posts.Load(); got != tt.wantPosts {
				t.Errorf("server got %d POSTs, want %d", got, tt.wantPosts)
			}
		})
	}
}

func TestHTTPRetriesConnectionErrors(t *testing.T) {
	// A port with nothing listening: take one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/reload"
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	h := HTTP{URL: url, Retries: 2, Backoff: time.Millisecond}
	err = h.Notify(t.Context())
	if err == nil || !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "attempt 3 of 3") {
		t.Fatalf("Notify = %v, want a connection error naming %s after 3 attempts", err, url)
	}
}

func TestHTTPTimeoutPerAttempt(t *testing.T) {
	release := make(chan struct{})
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if posts.Add(1) == 1 {
			select { // hang the first attempt until the client gives up
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	defer close(release)

	h := HTTP{URL: srv.URL, Timeout: 50 * time.Millisecond, Retries: 1, Backoff: time.Millisecond}
	if err := h.Notify(t.Context()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if got := posts.Load(); got != 2 {
		t.Errorf("server got %d POSTs, want 2 (timeout, then success)", got)
	}
}

func TestHTTPStopsWhenContextEnds(t *testing.T) {
	srv, posts := reloadServer(t, 503)
	answered := make(chan struct{}, 1)
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		answered <- struct{}{}
		return resp, err
	})}

	ctx, cancel := context.WithCancel(t.Context())
	h := HTTP{URL: srv.URL, Retries: 100, Backoff: time.Hour, Client: client}
	done := make(chan error, 1)
	go func() { done <- h.Notify(ctx) }()
	select { // cancel during the backoff after the first answer
	case <-answered:
	case <-time.After(deadline):
		t.Fatal("no answer arrived")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "HTTP 503") {
			t.Errorf("Notify = %v, want context.Canceled with the last failure", err)
		}
	case <-time.After(deadline):
		t.Fatal("Notify did not return after cancel")
	}
	if got := posts.Load(); got != 1 {
		t.Errorf("server got %d POSTs, want 1", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestHTTPValidate(t *testing.T) {
	tests := []struct {
		url     string
		wantErr bool
	}{
		{"http://127.0.0.1:8080/reload", false},
		{"https://localhost/reload", false},
		{"ftp://127.0.0.1/reload", true},
		{"file:///etc/passwd", true},
		{"127.0.0.1:8080/reload", true},
		{"http:///reload", true},
		{"", true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := HTTP{URL: tt.url}.Validate()
			if (err != nil) != tt.wantErr {
				t.Errorf("Validate(%q) = %v, want error %v", tt.url, err, tt.wantErr)
			}
		})
	}
}

func TestHTTPErrorRedactsPassword(t *testing.T) {
	srv, _ := reloadServer(t, 403)
	h := HTTP{URL: strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1)}
	err := h.Notify(t.Context())
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Notify = %v, want an error without the URL's password", err)
	}
}
