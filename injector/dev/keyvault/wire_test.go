package keyvault_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

func TestChallenge(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	seed(t, e.kv, 1)
	wantHeader := `Bearer authorization="https://login.windows.net/` + tenantID + `", resource="https://vault.azure.net"`
	missing := `{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}`
	tests := []struct {
		name          string
		authorization string
		wantBody      string // "" = check code and prefix only
		wantPrefix    string
	}{
		{"no authorization", "", missing, ""},
		{"not bearer", "Basic dXNlcjpwYXNz", missing, ""},
		{"empty bearer", "Bearer ", missing, ""},
		{"unknown token", "Bearer eyJhbGciOiJub25lIn0.e30.", "", "AKV10022: Invalid audience."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(t, http.MethodGet, "/secrets/secret-000/?api-version="+apiVersion, tt.authorization)
			if resp.status != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401", resp.status)
			}
			if diff := cmp.Diff(wantHeader, resp.header.Get("WWW-Authenticate")); diff != "" {
				t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
			}
			if tt.wantBody != "" {
				if diff := cmp.Diff(tt.wantBody, resp.body); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
				return
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal([]byte(resp.body), &body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Code != "Unauthorized" || !strings.HasPrefix(body.Error.Message, tt.wantPrefix) {
				t.Errorf("error = %+v, want Unauthorized %q…", body.Error, tt.wantPrefix)
			}
		})
	}
	if got, want := e.kv.Challenges(), len(tests); got != want {
		t.Errorf("Challenges() = %d, want %d", got, want)
	}
	if got := e.kv.Requests(keyvault.RouteGet); got != 0 {
		t.Errorf("Requests(get) = %d, want 0: challenges are not data requests", got)
	}
}

func TestChallengeOptions(t *testing.T) {
	kv, err := keyvault.New(keyvault.Options{Name: "dev-vault", TenantID: tenantID, Authority: "https://entra.fig-dev.svc/", Resource: "https://vault.fig-dev.svc"})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, keyvault.Options{})
	srv := serveTLS(t, e.ca, kv)
	e.vaultURL = srv.URL + "/"
	resp := e.do(t, http.MethodGet, "/secrets?api-version="+apiVersion, "")
	want := `Bearer authorization="https://entra.fig-dev.svc/` + tenantID + `", resource="https://vault.fig-dev.svc"`
	if diff := cmp.Diff(want, resp.header.Get("WWW-Authenticate")); diff != "" {
		t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
	}
}

func TestWithoutValidatorAnyBearerIsAccepted(t *testing.T) {
	kv, err := keyvault.New(keyvault.Options{Name: vaultName, TenantID: tenantID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.SetSecret("a", "1"); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, keyvault.Options{})
	e.vaultURL = serveTLS(t, e.ca, kv).URL + "/"
	if resp := e.do(t, http.MethodGet, "/secrets/a/?api-version="+apiVersion, "Bearer anything"); resp.status != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", resp.status, resp.body)
	}
	if resp := e.do(t, http.MethodGet, "/secrets/a/?api-version="+apiVersion, ""); resp.status != http.StatusUnauthorized {
		t.Fatalf("status without token = %d, want 401", resp.status)
	}
}

// TestJSONShapes compares whole response bodies with contracts/azure.md §4.3.
func TestJSONShapes(t *testing.T) {
	created := time.Unix(1735787165, 0)
	clk := testutil.NewClock(created)
	e := newEnv(t, keyvault.Options{Now: clk.Now})
	nbf, exp := time.Unix(1735787145, 0), time.Unix(1767323045, 0)
	v1, err := e.kv.SetSecret("db-password", "s3cr3t!", keyvault.WithContentType("text/plain"),
		keyvault.WithTags(map[string]string{"env": "test", "owner": "sidecar"}), keyvault.WithNotBefore(nbf), keyvault.WithExpires(exp))
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(10 * time.Second)
	v2, err := e.kv.SetSecret("db-password", "n3w!", keyvault.WithEnabled(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.kv.SetSecret("api-key", "k"); err != nil {
		t.Fatal(err)
	}
	base := "https://" + e.host() + "/secrets/"
	attrs1 := `"attributes":{"enabled":true,"nbf":1735787145,"exp":1767323045,"created":1735787165,"updated":1735787165,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90}`
	attrs2 := `"attributes":{"enabled":false,"created":1735787175,"updated":1735787175,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90}`
	attrsKey := `"attributes":{"enabled":true,"created":1735787175,"updated":1735787175,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90}`
	item1 := `{"contentType":"text/plain","id":"` + base + `db-password/` + v1 + `",` + attrs1 + `,"tags":{"env":"test","owner":"sidecar"}}`
	item2 := `{"id":"` + base + `db-password/` + v2 + `",` + attrs2 + `}`
	versions := []string{item1, item2}
	if v2 < v1 { // the version list is ordered by version id
		versions = []string{item2, item1}
	}
	token := "Bearer " + e.token(t)
	tests := []struct {
		name, path string
		wantStatus int
		want       string
	}{
		{"get version", "/secrets/db-password/" + v1, 200,
			`{"value":"s3cr3t!","contentType":"text/plain","id":"` + base + `db-password/` + v1 + `",` + attrs1 + `,"tags":{"env":"test","owner":"sidecar"}}`},
		{"get latest disabled", "/secrets/db-password/", 403,
			`{"error":{"code":"Forbidden","message":"Operation get is not allowed on a disabled secret.","innererror":{"code":"SecretDisabled"}}}`},
		{"get latest without trailing slash", "/secrets/api-key", 200,
			`{"value":"k","id":"` + base + `api-key/` + e.kv.Versions("api-key")[0] + `",` + attrsKey + `}`},
		{"list", "/secrets", 200,
			`{"value":[{"id":"` + base + `api-key",` + attrsKey + `},{"id":"` + base + `db-password",` + attrs2 + `}],"nextLink":null}`},
		{"versions", "/secrets/db-password/versions", 200, `{"value":[` + strings.Join(versions, ",") + `],"nextLink":null}`},
		{"versions of unknown secret", "/secrets/nope/versions", 200, `{"value":[],"nextLink":null}`},
		{"unknown secret", "/secrets/nope/", 404,
			`{"error":{"code":"SecretNotFound","message":"A secret with (name/id) nope was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"}}`},
		{"unknown version", "/secrets/db-password/00000000000000000000000000000000", 404,
			`{"error":{"code":"SecretNotFound","message":"A secret with (name/id) db-password/00000000000000000000000000000000 was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sep := "?"
			if strings.Contains(tt.path, "?") {
				sep = "&"
			}
			resp := e.do(t, http.MethodGet, tt.path+sep+"api-version="+apiVersion, token)
			if resp.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.status, tt.wantStatus, resp.body)
			}
			if diff := cmp.Diff(compactJSON(t, tt.want), resp.body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if ct := resp.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestListPagingWire(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	seed(t, e.kv, 30)
	token := "Bearer " + e.token(t)
	linkPattern := regexp.MustCompile(`^https://127\.0\.0\.1:\d+/secrets\?api-version=` + apiVersion + `&\$skiptoken=[A-Za-z0-9_-]+&maxresults=25$`)

	first := e.do(t, http.MethodGet, "/secrets?api-version="+apiVersion, token)
	var page1 struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
		NextLink *string `json:"nextLink"`
	}
	if err := json.Unmarshal([]byte(first.body), &page1); err != nil {
		t.Fatal(err)
	}
	if len(page1.Value) != 25 || page1.NextLink == nil || !linkPattern.MatchString(*page1.NextLink) {
		t.Fatalf("page 1: %d items, nextLink %v; want 25 and a link matching %s", len(page1.Value), page1.NextLink, linkPattern)
	}
	second := e.do(t, http.MethodGet, *page1.NextLink, token)
	if second.status != http.StatusOK || !strings.HasSuffix(second.body, `"nextLink":null}`) {
		t.Fatalf("page 2: %d %s", second.status, second.body)
	}
	if n := strings.Count(second.body, `"id":`); n != 5 {
		t.Errorf("page 2 has %d items, want 5", n)
	}
	if !strings.Contains(second.body, `/secrets/secret-025"`) || strings.Contains(second.body, `/secrets/secret-024"`) {
		t.Errorf("page 2 does not start after page 1: %s", second.body)
	}

	small := e.do(t, http.MethodGet, "/secrets?api-version="+apiVersion+"&maxresults=2", token)
	if n := strings.Count(small.body, `"id":`); n != 2 || !strings.Contains(small.body, `&maxresults=2"`) {
		t.Errorf("maxresults=2: %d items, body %s", n, small.body)
	}
	if got := e.kv.Requests(keyvault.RouteList); got != 3 {
		t.Errorf("Requests(list) = %d, want 3", got)
	}
}

func TestRequestErrors(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	seed(t, e.kv, 1)
	e.kv.DenySecret("secret-000", true)
	token := "Bearer " + e.token(t)
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantCode           string
		wantInner          string
		wantText           string
	}{
		{"missing api-version", http.MethodGet, "/secrets/secret-000/", 400, "BadParameter", "", "api-version"},
		{"maxresults too large", http.MethodGet, "/secrets?api-version=" + apiVersion + "&maxresults=26", 400, "BadParameter", "", "maxresults"},
		{"maxresults zero", http.MethodGet, "/secrets?api-version=" + apiVersion + "&maxresults=0", 400, "BadParameter", "", "maxresults"},
		{"bad skip token", http.MethodGet, "/secrets?api-version=" + apiVersion + "&$skiptoken=not-base64!", 400, "BadParameter", "", "skip token"},
		{"invalid secret name", http.MethodGet, "/secrets/bad_name/?api-version=" + apiVersion, 400, "BadParameter", "", "bad_name"},
		{"write method", http.MethodPut, "/secrets/secret-000?api-version=" + apiVersion, 405, "MethodNotAllowed", "", "read-only"},
		{"unknown path", http.MethodGet, "/keys/k?api-version=" + apiVersion, 404, "NotFound", "", "/keys/k"},
		{"denied secret get", http.MethodGet, "/secrets/secret-000/?api-version=" + apiVersion, 403, "Forbidden", "ForbiddenByRbac",
			"Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'"},
		{"denied secret versions", http.MethodGet, "/secrets/secret-000/versions?api-version=" + apiVersion, 403, "Forbidden", "ForbiddenByRbac",
			"/vaults/myvault/secrets/secret-000'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(t, tt.method, tt.path, token)
			var body struct {
				Error struct {
					Code, Message string
					InnerError    *struct{ Code string } `json:"innererror"`
				}
			}
			if err := json.Unmarshal([]byte(resp.body), &body); err != nil {
				t.Fatalf("decode %q: %v", resp.body, err)
			}
			inner := ""
			if body.Error.InnerError != nil {
				inner = body.Error.InnerError.Code
			}
			got := []any{resp.status, body.Error.Code, inner}
			if diff := cmp.Diff([]any{tt.wantStatus, tt.wantCode, tt.wantInner}, got); diff != "" {
				t.Errorf("status, code, inner (-want +got):\n%s", diff)
			}
			if !strings.Contains(body.Error.Message, tt.wantText) {
				t.Errorf("message %q lacks %q", body.Error.Message, tt.wantText)
			}
		})
	}
}

func TestDeniedMessageNamesCaller(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	e.kv.DenyList(true)
	resp := e.do(t, http.MethodGet, "/secrets?api-version="+apiVersion, "Bearer "+e.token(t))
	for _, want := range []string{"Caller: appid=" + clientID + ";", "Action: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'", "Vault: myvault;location=local"} {
		if !strings.Contains(resp.body, want) {
			t.Errorf("403 body lacks %q: %s", want, resp.body)
		}
	}
	e.kv.DenyList(false)
	if resp := e.do(t, http.MethodGet, "/secrets?api-version="+apiVersion, "Bearer "+e.token(t)); resp.status != http.StatusOK {
		t.Errorf("status after DenyList(false) = %d", resp.status)
	}
}
