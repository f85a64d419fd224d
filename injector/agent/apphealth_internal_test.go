package agent

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/fig-injector/fig-injector/injector/source/fig"
)

// TestAppProbeReadsASPNETHealthAnswers: the app's health endpoint read as
// ASP.NET Core answers it, with fixed messages.
func TestAppProbeReadsASPNETHealthAnswers(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    fig.HealthStatus
		message string
	}{
		{"healthy", 200, "Healthy", fig.HealthHealthy, "Healthy"},
		{"degraded", 200, "Degraded", fig.HealthDegraded, "Degraded"},
		{"2xx with JSON", 200, `{"status":"Healthy","at":"2026-12-06T08:00:00Z"}`, fig.HealthHealthy, "Healthy"},
		{"unhealthy", 503, "Unhealthy", fig.HealthUnhealthy, "the health endpoint answers HTTP 503"},
		{"missing", 404, "", fig.HealthUnhealthy, "the health endpoint answers HTTP 404"},
		{"redirect not followed", 302, "", fig.HealthUnhealthy, "the health endpoint answers HTTP 302"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status == 302 {
					w.Header().Set("Location", "http://example.invalid/")
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := newAppProbe(srv.URL + "/health").check(context.Background())
			if c.Name != "application" || c.Status != tt.want || c.Message != tt.message {
				t.Errorf("check = %+v, want application %v %q", c, tt.want, tt.message)
			}
		})
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	if c := newAppProbe(url).check(context.Background()); c.Status != fig.HealthUnhealthy || c.Message != "the health endpoint does not answer" {
		t.Errorf("closed port: %+v", c)
	}
}
