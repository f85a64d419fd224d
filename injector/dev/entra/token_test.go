package entra_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

func TestTokenErrors(t *testing.T) {
	good := entra.MintAssertion(issuer, subject, entra.DefaultAudience, time.Hour)
	with := func(key, value string) url.Values {
		f := goodForm(good)
		if value == "" {
			f.Del(key)
		} else {
			f.Set(key, value)
		}
		return f
	}
	tests := []struct {
		name       string
		tenant     string
		form       url.Values
		wantStatus int
		wantError  string
		wantCode   float64
		wantText   string // in error_description
	}{
		{"unknown tenant", "11111111-2222-3333-4444-555555555555", goodForm(good), 400, "invalid_request", 90002, "Tenant '11111111-2222-3333-4444-555555555555' not found"},
		{"unknown client", tenantID, with("client_id", "99999999-0000-0000-0000-000000000000"), 400, "unauthorized_client", 700016, "'99999999-0000-0000-0000-000000000000' was not found"},
		{"wrong issuer", tenantID, with("client_assertion", entra.MintAssertion("https://other.issuer", subject, entra.DefaultAudience, time.Hour)), 400, "invalid_client", 700211, "assertion issuer 'https://other.issuer'"},
		{"wrong subject", tenantID, with("client_assertion", entra.MintAssertion(issuer, "system:serviceaccount:shop:other", entra.DefaultAudience, time.Hour)), 400, "invalid_client", 700213, "assertion subject 'system:serviceaccount:shop:other'"},
		{"wrong audience", tenantID, with("client_assertion", entra.MintAssertion(issuer, subject, "api://other", time.Hour)), 400, "invalid_client", 700212, "assertion audience 'api://other'"},
		{"expired assertion", tenantID, with("client_assertion", entra.MintAssertion(issuer, subject, entra.DefaultAudience, -time.Minute)), 400, "invalid_client", 700024, "not within its valid time range"},
		{"not a jwt", tenantID, with("client_assertion", "not-a-jwt"), 400, "invalid_request", 50027, "invalid or malformed"},
		{"missing assertion", tenantID, with("client_assertion", ""), 401, "invalid_client", 7000216, "'client_assertion'"},
		{"wrong assertion type", tenantID, with("client_assertion_type", "urn:other"), 400, "invalid_request", 90014, "client_assertion_type"},
		{"missing grant type", tenantID, with("grant_type", ""), 400, "invalid_request", 900144, "'grant_type'"},
		{"other grant type", tenantID, with("grant_type", "password"), 400, "unsupported_grant_type", 70003, "'password'"},
		{"scope without .default", tenantID, with("scope", vaultRes+" openid"), 400, "invalid_scope", 70011, "The scope https://vault.azure.net openid is not valid"},
		{"two resources", tenantID, with("scope", vaultScop+" https://storage.azure.com/.default"), 400, "invalid_scope", 70011, "is not valid"},
	}
	r := newRig(t, entra.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := r.postToken(t, tt.tenant, tt.form)
			got := map[string]any{"status": status, "error": body["error"], "error_codes": body["error_codes"]}
			want := map[string]any{"status": tt.wantStatus, "error": tt.wantError, "error_codes": []any{tt.wantCode}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("token error (-want +got):\n%s", diff)
			}
			desc, _ := body["error_description"].(string)
			if !strings.Contains(desc, tt.wantText) {
				t.Errorf("error_description = %q, want it to contain %q", desc, tt.wantText)
			}
			if _, ok := body["access_token"]; ok {
				t.Error("error response carries an access_token")
			}
		})
	}
	if got := r.srv.Requests(entra.RouteToken); got != len(tests) {
		t.Errorf("Requests(token) = %d, want %d", got, len(tests))
	}
}

func TestTokenResponseAndValidation(t *testing.T) {
	tests := []struct {
		name      string
		opts      entra.Options
		wantShape map[string]any
	}{
		{"defaults", entra.Options{}, map[string]any{
			"token_type": "Bearer", "expires_in": float64(3599), "ext_expires_in": float64(3599), "refresh_in": nil,
		}},
		{"short lived with refresh_in", entra.Options{ExpiresIn: 10 * time.Minute, RefreshIn: 2 * time.Minute}, map[string]any{
			"token_type": "Bearer", "expires_in": float64(600), "ext_expires_in": float64(600), "refresh_in": float64(120),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := testutil.NewClock(time.Now())
			opts := tt.opts
			opts.Now = clk.Now
			r := newRig(t, opts)
			status, body := r.postToken(t, tenantID, goodForm(entra.MintAssertion(issuer, subject, entra.DefaultAudience, time.Hour)))
			if status != http.StatusOK {
				t.Fatalf("status %d: %v", status, body)
			}
			got := map[string]any{}
			for k := range tt.wantShape {
				got[k] = body[k]
			}
			if diff := cmp.Diff(tt.wantShape, got); diff != "" {
				t.Errorf("token response (-want +got):\n%s", diff)
			}
			token, _ := body["access_token"].(string)
			claims := jwtPayload(t, token)
			wantClaims := map[string]any{"aud": vaultRes, "tid": tenantID, "appid": clientID, "iss": "https://sts.windows.net/" + tenantID + "/"}
			for k := range wantClaims {
				if claims[k] != wantClaims[k] {
					t.Errorf("claim %s = %v, want %v", k, claims[k], wantClaims[k])
				}
			}

			checks := []struct {
				name            string
				token, ten, res string
				want            bool
			}{
				{"issued token", token, tenantID, vaultRes, true},
				{"trailing slash resource", token, tenantID, vaultRes + "/", true},
				{"tenant case-insensitive", token, strings.ToUpper(tenantID), vaultRes, true},
				{"other tenant", token, "other-tenant", vaultRes, false},
				{"other resource", token, tenantID, "https://storage.azure.com", false},
				{"unknown token", token + "x", tenantID, vaultRes, false},
			}
			for _, c := range checks {
				if got := r.srv.ValidToken(c.token, c.ten, c.res); got != c.want {
					t.Errorf("ValidToken(%s) = %v, want %v", c.name, got, c.want)
				}
			}
			if id, ok := r.srv.TokenClientID(token); !ok || id != clientID {
				t.Errorf("TokenClientID = %q, %v; want %q, true", id, ok, clientID)
			}

			lifetime := time.Duration(body["expires_in"].(float64)) * time.Second
			clk.Add(lifetime - time.Second)
			if !r.srv.ValidToken(token, tenantID, vaultRes) {
				t.Error("token invalid one second before expiry")
			}
			clk.Add(time.Second)
			if r.srv.ValidToken(token, tenantID, vaultRes) {
				t.Error("token still valid at expiry")
			}
		})
	}
}

func TestRevokeTokens(t *testing.T) {
	r := newRig(t, entra.Options{})
	_, body := r.postToken(t, tenantID, goodForm(entra.MintAssertion(issuer, subject, entra.DefaultAudience, time.Hour)))
	token, _ := body["access_token"].(string)
	if !r.srv.ValidToken(token, tenantID, vaultRes) {
		t.Fatal("fresh token invalid")
	}
	r.srv.RevokeTokens()
	if r.srv.ValidToken(token, tenantID, vaultRes) {
		t.Fatal("revoked token still valid")
	}
}

func TestFederatedCredentialValidation(t *testing.T) {
	tests := []struct {
		name    string
		fc      entra.FederatedCredential
		wantErr string
	}{
		{"complete", entra.FederatedCredential{TenantID: tenantID, ClientID: clientID, Issuer: issuer, Subject: subject}, ""},
		{"missing fields", entra.FederatedCredential{TenantID: tenantID}, "missing ClientID, Issuer, Subject"},
		{"bad tenant", entra.FederatedCredential{TenantID: "a/b", ClientID: clientID, Issuer: issuer, Subject: subject}, "not a valid tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := entra.New(entra.Options{}).AddFederatedCredential(tt.fc)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("AddFederatedCredential error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestSetFederatedCredentialsReplaces(t *testing.T) {
	r := newRig(t, entra.Options{})
	other := "system:serviceaccount:shop:billing"
	if err := r.srv.SetFederatedCredentials([]entra.FederatedCredential{{TenantID: tenantID, ClientID: clientID, Issuer: issuer, Subject: other}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		subject    string
		wantStatus int
	}{{subject, http.StatusBadRequest}, {other, http.StatusOK}}
	for _, tt := range tests {
		status, body := r.postToken(t, tenantID, goodForm(entra.MintAssertion(issuer, tt.subject, entra.DefaultAudience, time.Hour)))
		if status != tt.wantStatus {
			t.Errorf("subject %s: status %d (%v), want %d", tt.subject, status, body["error_codes"], tt.wantStatus)
		}
	}
	if err := r.srv.SetFederatedCredentials([]entra.FederatedCredential{{TenantID: tenantID}}); err == nil {
		t.Fatal("invalid credential set accepted")
	}
	// A rejected set changes nothing.
	if status, _ := r.postToken(t, tenantID, goodForm(entra.MintAssertion(issuer, other, entra.DefaultAudience, time.Hour))); status != http.StatusOK {
		t.Fatalf("status after rejected set = %d, want 200", status)
	}
}

// jwtPayload decodes a JWT's claims.
func jwtPayload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}
