package entra_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/entra"
)

func TestOpenIDConfiguration(t *testing.T) {
	r := newRig(t, entra.Options{})
	tests := []struct {
		name       string
		tenant     string
		wantStatus int
		want       map[string]any // fields checked
	}{
		{"registered tenant", tenantID, http.StatusOK, map[string]any{
			"issuer":                 r.base + "/" + tenantID + "/v2.0",
			"token_endpoint":         r.base + "/" + tenantID + "/oauth2/v2.0/token",
			"authorization_endpoint": r.base + "/" + tenantID + "/oauth2/v2.0/authorize",
		}},
		{"well-known tenant", "organizations", http.StatusOK, map[string]any{
			"issuer": r.base + "/organizations/v2.0",
		}},
		{"unknown tenant", "contoso.example", http.StatusBadRequest, map[string]any{
			"error":       "invalid_tenant",
			"error_codes": []any{float64(90002)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := r.get(t, "/"+tt.tenant+"/v2.0/.well-known/openid-configuration")
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %v", status, tt.wantStatus, body)
			}
			got := map[string]any{}
			for k := range tt.want {
				got[k] = body[k]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("openid-configuration (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenIDConfigurationBaseURL(t *testing.T) {
	r := newRig(t, entra.Options{BaseURL: "https://entra.fig-dev.svc/"})
	_, body := r.get(t, "/"+tenantID+"/v2.0/.well-known/openid-configuration")
	if diff := cmp.Diff("https://entra.fig-dev.svc/"+tenantID+"/v2.0", body["issuer"]); diff != "" {
		t.Errorf("issuer (-want +got):\n%s", diff)
	}
}

func TestInstanceDiscovery(t *testing.T) {
	r := newRig(t, entra.Options{})
	publicGroup := map[string]any{
		"preferred_network": "login.microsoftonline.com",
		"preferred_cache":   "login.windows.net",
		"aliases":           []any{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"},
	}
	tests := []struct {
		name       string
		authorize  string // authorization_endpoint query parameter; "-" = absent
		wantStatus int
		want       map[string]any
	}{
		{"public cloud authority", "https://login.microsoftonline.com/" + tenantID + "/oauth2/v2.0/authorize", http.StatusOK, map[string]any{
			"tenant_discovery_endpoint": "https://login.microsoftonline.com/" + tenantID + "/v2.0/.well-known/openid-configuration",
			"api-version":               "1.1",
			"metadata":                  []any{publicGroup},
		}},
		{"own host authority", "https://127.0.0.1:8443/" + tenantID + "/oauth2/v2.0/authorize", http.StatusOK, map[string]any{
			"tenant_discovery_endpoint": "https://127.0.0.1:8443/" + tenantID + "/v2.0/.well-known/openid-configuration",
			"api-version":               "1.1",
			"metadata": []any{publicGroup, map[string]any{
				"preferred_network": "127.0.0.1:8443", "preferred_cache": "127.0.0.1:8443", "aliases": []any{"127.0.0.1:8443"},
			}},
		}},
		{"plain http authority", "http://127.0.0.1/" + tenantID + "/oauth2/v2.0/authorize", http.StatusBadRequest, map[string]any{
			"error": "invalid_instance",
		}},
		{"missing parameter", "-", http.StatusBadRequest, map[string]any{
			"error": "invalid_request",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"api-version": {"1.1"}}
			if tt.authorize != "-" {
				q.Set("authorization_endpoint", tt.authorize)
			}
			status, body := r.get(t, "/common/discovery/instance?"+q.Encode())
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %v", status, tt.wantStatus, body)
			}
			got := map[string]any{}
			for k := range tt.want {
				got[k] = body[k]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("discovery (-want +got):\n%s", diff)
			}
		})
	}
	if got := r.srv.Requests(entra.RouteDiscovery); got != len(tests) {
		t.Errorf("Requests(discovery) = %d, want %d", got, len(tests))
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	r := newRig(t, entra.Options{})
	tests := []struct {
		name, method, path string
		wantStatus         int
	}{
		{"unknown path", http.MethodGet, "/" + tenantID + "/oauth2/v2.0/authorize", http.StatusNotFound},
		{"GET on token endpoint", http.MethodGet, "/" + tenantID + "/oauth2/v2.0/token", http.StatusMethodNotAllowed},
		{"POST on openid configuration", http.MethodPost, "/" + tenantID + "/v2.0/.well-known/openid-configuration", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, r.base+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := r.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			status, body := decode(t, resp)
			if status != tt.wantStatus || body["error"] != "invalid_request" {
				t.Errorf("got %d %v, want %d invalid_request", status, body, tt.wantStatus)
			}
		})
	}
}
