package status

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeHealth is a Health whose answers the test sets.
type fakeHealth struct {
	ready   atomic.Bool
	mu      sync.Mutex
	sources []SourceHealth
	outputs []OutputHealth
}

func (f *fakeHealth) Ready() bool { return f.ready.Load() }

func (f *fakeHealth) Sources() []SourceHealth {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sources
}

func (f *fakeHealth) Outputs() []OutputHealth {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.outputs
}

func (f *fakeHealth) setSources(s []SourceHealth) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sources = s
}

func newServer(t *testing.T, h Health) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Handler(h, nil))
	t.Cleanup(srv.Close)
	return srv
}

// get returns the status and the decoded JSON body of GET url.
func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q, want application/json", url, ct)
	}
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: decode body: %v", url, err)
	}
	return resp.StatusCode, body
}

func TestReadyzFlipsAfterFirstRender(t *testing.T) {
	h := &fakeHealth{}
	h.setSources([]SourceHealth{
		{Name: "fig", LastError: "fig: GET /clients/OrderService/settings: unauthorized (HTTP 401); fix: check the client secret"},
		{Name: "keyvault:orders-kv.vault.azure.net"},
	})
	srv := newServer(t, h)

	code, body := get(t, srv.URL+"/readyz")
	want := map[string]any{
		"ready":  false,
		"reason": "the first complete render has not happened yet",
		"sources": []any{map[string]any{
			"name":      "fig",
			"lastError": "fig: GET /clients/OrderService/settings: unauthorized (HTTP 401); fix: check the client secret",
			"stale":     false,
		}},
	}
	if code != http.StatusServiceUnavailable {
		t.Errorf("before the first render: status %d, want 503", code)
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("before the first render: body (-want +got):\n%s", diff)
	}

	h.ready.Store(true)
	code, body = get(t, srv.URL+"/readyz")
	if code != http.StatusOK {
		t.Errorf("after the first render: status %d, want 200", code)
	}
	if diff := cmp.Diff(map[string]any{"ready": true}, body); diff != "" {
		t.Errorf("after the first render: body (-want +got):\n%s", diff)
	}
}

func TestHealthzIsUpEvenWhenStale(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		sources []SourceHealth
		outputs []OutputHealth
		want    map[string]any
	}{
		{
			name:    "no sources yet",
			sources: nil,
			want:    map[string]any{"status": "ok", "sources": []any{}, "outputs": []any{}},
		},
		{
			name:    "fresh",
			sources: []SourceHealth{{Name: "fig", LastSuccess: at}},
			outputs: []OutputHealth{{Path: "/fig/appsettings.json"}},
			want: map[string]any{"status": "ok", "sources": []any{
				map[string]any{"name": "fig", "lastSuccess": "2026-01-02T03:04:05Z", "stale": false},
			}, "outputs": []any{map[string]any{"path": "/fig/appsettings.json"}}},
		},
		{
			// Issue 12 item 13: this said "ok" while every write failed.
			name:    "every write fails: failing, still 200",
			sources: []SourceHealth{{Name: "fig", LastSuccess: at, Stale: true}},
			outputs: []OutputHealth{{Path: "/fig/appsettings.json", LastError: "write /fig/.appsettings.json.tmp: no space left on device"}, {Path: "/fig/app.env"}},
			want: map[string]any{"status": "failing", "sources": []any{
				map[string]any{"name": "fig", "lastSuccess": "2026-01-02T03:04:05Z", "stale": true},
			}, "outputs": []any{
				map[string]any{"path": "/fig/appsettings.json", "lastError": "write /fig/.appsettings.json.tmp: no space left on device"},
				map[string]any{"path": "/fig/app.env"},
			}},
		},
		{
			name: "fig down for hours: stale, still 200",
			sources: []SourceHealth{
				{Name: "fig", LastSuccess: at, LastError: "fig: connection refused", Stale: true},
				{Name: "keyvault:orders-kv.vault.azure.net", LastSuccess: at},
			},
			want: map[string]any{"status": "stale", "sources": []any{
				map[string]any{"name": "fig", "lastSuccess": "2026-01-02T03:04:05Z", "lastError": "fig: connection refused", "stale": true},
				map[string]any{"name": "keyvault:orders-kv.vault.azure.net", "lastSuccess": "2026-01-02T03:04:05Z", "stale": false},
			}, "outputs": []any{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &fakeHealth{outputs: tt.outputs}
			h.setSources(tt.sources)
			code, body := get(t, newServer(t, h).URL+"/healthz")
			if code != http.StatusOK {
				t.Errorf("status %d, want 200", code)
			}
			if diff := cmp.Diff(tt.want, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandlerRoutes(t *testing.T) {
	h := &fakeHealth{}
	h.ready.Store(true)
	srv := newServer(t, h)
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/healthz", http.StatusOK},
		{http.MethodHead, "/readyz", http.StatusOK},
		{http.MethodGet, "/metrics", http.StatusOK},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed},
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodGet, "/debug/pprof/", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
