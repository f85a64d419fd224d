package hook_test

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"

	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

const secret = "5d1e2a9c-7b3f-4e8a-9c1d-2f6b8a4e0c7d" // Fig generates a GUID (WebHookClientModel.cs)

type wake struct {
	Client, Instance string
	Names            []string
}

type recorder struct {
	mu    sync.Mutex
	wakes []wake
	hooks []string
}

func (r *recorder) SettingsChanged(client, instance string, names []string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wakes = append(r.wakes, wake{client, instance, names})
	return 1
}

func (r *recorder) Hook(route, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks = append(r.hooks, route+" "+outcome)
}

func newHandler(t *testing.T) (*hook.Handler, *recorder, *testutil.Buffer) {
	t.Helper()
	hashed, err := hook.EnhancedHash(secret, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	v, err := hook.NewVerifier(hashed)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	logs := &testutil.Buffer{}
	return &hook.Handler{Verifier: v, Sink: rec, Metrics: rec, Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}, rec, logs
}

// A body as Fig's JsonConvert.SerializeObject writes it: PascalCase, nulls
// written, Link a URI.
const settingChanged = `{"ClientName":"OrderService","Instance":null,"UpdatedSettings":["Location","Database->Host"],"Username":"admin","Link":"https://localhost:7148/","ChangeMessage":"","IsTest":false}`

// Bodies as the Fig emulator writes them (it follows Fig's contracts and
// WebHookProcessorWorker; tested in injector/dev/figapi).
const (
	updatedRegistration = `{"ClientName":"OrderService","Instance":null,"Settings":["Location","RetryCount"],"RegistrationType":1,"Link":"https://localhost:7148/","IsTest":false}`
	clientConnected     = `{"ClientName":"OrderService","Instance":null,"ConnectionEvent":0,"StartTime":"2026-01-01T10:00:00.1234567Z","IpAddress":"10.0.0.7","Hostname":"orders-1","FigVersion":"4.0.0.0","ApplicationVersion":"1.0.0.0","Link":"https://localhost:7148/clients","IsTest":false}`
	healthChanged       = `{"ClientName":"OrderService","Instance":null,"Hostname":"orders-1","IpAddress":"10.0.0.7","Status":1,"FigVersion":"4.0.0.0","ApplicationVersion":"1.0.0.0","HealthDetails":{"Status":1,"Components":[{"Name":"Database","Status":1,"Message":"slow"}]},"Link":"https://localhost:7148/clients","IsTest":false}`
)

func TestHooks(t *testing.T) {
	tests := []struct {
		name, method, path, auth, body string
		wantStatus                     int
		wantWake                       []wake
		wantHook                       []string
	}{
		{"setting changed", "POST", "/fig/SettingValueChanged", "Secret " + secret, settingChanged, 200,
			[]wake{{"OrderService", "", []string{"Location", "Database->Host"}}}, []string{"SettingValueChanged ok"}},
		{"base URI without a trailing slash: route at the root, any case", "POST", "/settingvaluechanged", "Secret " + secret,
			`{"ClientName":"OrderService","Instance":"eu","UpdatedSettings":["Location"],"ChangeMessage":""}`, 200,
			[]wake{{"OrderService", "eu", []string{"Location"}}}, []string{"SettingValueChanged ok"}},
		{"Fig's Test button wakes nobody", "POST", "/fig/SettingValueChanged", "Secret " + secret,
			`{"ClientName":"Test","Instance":null,"UpdatedSettings":["TestSetting"],"Username":"FigTester","Link":"https://localhost:7148/","ChangeMessage":"TestOnly","IsTest":true}`, 200,
			nil, []string{"SettingValueChanged test"}},
		// Registrations: new definitions change what agents render without a value changing.
		{"updated registration wakes the client's agents", "POST", "/fig/UpdatedClientRegistration", "Secret " + secret, updatedRegistration, 200,
			[]wake{{"OrderService", "", []string{"Location", "RetryCount"}}}, []string{"UpdatedClientRegistration ok"}},
		{"new registration wakes agents waiting for it", "POST", "/fig/NewClientRegistration", "Secret " + secret,
			strings.Replace(updatedRegistration, `"RegistrationType":1`, `"RegistrationType":0`, 1), 200,
			[]wake{{"OrderService", "", []string{"Location", "RetryCount"}}}, []string{"NewClientRegistration ok"}},
		{"registration without a client", "POST", "/fig/UpdatedClientRegistration", "Secret " + secret, `{"ClientName":"","Settings":[]}`, 400,
			nil, []string{"UpdatedClientRegistration bad_request"}},
		// Sessions, health and logins are not about values: counted, nobody woken.
		{"client connected", "POST", "/fig/ClientStatusChanged", "Secret " + secret, clientConnected, 200, nil, []string{"ClientStatusChanged ignored"}},
		{"below the minimum run sessions", "POST", "/fig/MinRunSessions", "Secret " + secret,
			`{"ClientName":"OrderService","Instance":null,"RunSessions":0,"RunSessionsEvent":0,"Link":"https://localhost:7148/clients","IsTest":false}`, 200,
			nil, []string{"MinRunSessions ignored"}},
		{"health changed", "POST", "/fig/HealthStatusChanged", "Secret " + secret, healthChanged, 200, nil, []string{"HealthStatusChanged ignored"}},
		{"security event", "POST", "/fig/SecurityEvent", "Secret " + secret,
			`{"EventType":"Login","Timestamp":"2026-01-01T10:00:00Z","Username":"admin","Success":true,"IpAddress":"10.0.0.9","Hostname":"ops","FailureReason":null,"Uri":"https://localhost:7148/security","IsTest":false}`, 200,
			nil, []string{"SecurityEvent ignored"}},
		{"an ignored type that is not JSON", "POST", "/fig/HealthStatusChanged", "Secret " + secret, `<xml/>`, 400, nil, []string{"HealthStatusChanged bad_request"}},
		// Fig's Test button sends each type with IsTest (WebHookClientTestingService.CreateContract).
		{"Test button: registration", "POST", "/fig/UpdatedClientRegistration", "Secret " + secret,
			`{"ClientName":"Test","Instance":null,"Settings":["TestSetting"],"RegistrationType":1,"Link":"https://localhost:7148/","IsTest":true}`, 200,
			nil, []string{"UpdatedClientRegistration test"}},
		{"Test button: min run sessions", "POST", "/fig/MinRunSessions", "Secret " + secret,
			`{"ClientName":"Test","Instance":null,"RunSessions":1,"RunSessionsEvent":0,"Link":"https://localhost:7148/","IsTest":true}`, 200,
			nil, []string{"MinRunSessions test"}},
		{"wrong secret", "POST", "/fig/SettingValueChanged", "Secret not-the-secret", settingChanged, 401, nil, []string{"SettingValueChanged unauthorized"}},
		{"missing secret", "POST", "/fig/SettingValueChanged", "", settingChanged, 401, nil, []string{"SettingValueChanged unauthorized"}},
		{"another scheme", "POST", "/fig/SettingValueChanged", "Bearer " + secret, settingChanged, 401, nil, []string{"SettingValueChanged unauthorized"}},
		{"no settings named", "POST", "/fig/SettingValueChanged", "Secret " + secret, `{"ClientName":"OrderService","UpdatedSettings":[]}`, 400, nil, []string{"SettingValueChanged bad_request"}},
		{"not JSON", "POST", "/fig/SettingValueChanged", "Secret " + secret, `<xml/>`, 400, nil, []string{"SettingValueChanged bad_request"}},
		{"unknown route", "POST", "/fig/Nope", "Secret " + secret, `{}`, 404, nil, nil},
		{"GET", "GET", "/fig/SettingValueChanged", "Secret " + secret, ``, 405, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec, logs := newHandler(t)
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.wantStatus {
				t.Errorf("status %d, want %d (%s)", w.Code, tt.wantStatus, w.Body)
			}
			if diff := cmp.Diff(tt.wantWake, rec.wakes); diff != "" {
				t.Errorf("wake-ups (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantHook, rec.hooks); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
			if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), "not-the-secret") {
				t.Errorf("the log shows a secret:\n%s", logs)
			}
			if tt.wantStatus == 401 && !strings.Contains(logs.String(), "web hook refused") {
				t.Errorf("a refusal is not logged:\n%s", logs)
			}
		})
	}
}

// TestVerifierRemembersTheGoodSecret: after one bcrypt check the same
// secret passes without bcrypt, and a different one is still refused.
func TestVerifierRemembersTheGoodSecret(t *testing.T) {
	h, _, _ := newHandler(t)
	for i, tc := range []struct {
		auth string
		want error
	}{{"Secret " + secret, nil}, {"Secret " + secret, nil}, {"Secret x" + secret, hook.ErrWrongSecret}, {"secret  " + secret + " ", nil}} {
		if got := h.Verifier.Check(tc.auth); got != tc.want {
			t.Errorf("check %d: %v, want %v", i, got, tc.want)
		}
	}
}

// TestVerifierAcceptsFigsOwnHash is a known answer made by BCrypt.Net
// itself: Fig's integration tests post web hooks with WebHookSecret
// (src/tests/Fig.Test.Common/IntegrationTestBase.cs) to its test receiver,
// which checks them with EnhancedVerify against this hash
// (src/tests/Fig.WebHooks.TestClient/FigWebHookAuthMiddleware.cs).
func TestVerifierAcceptsFigsOwnHash(t *testing.T) {
	v, err := hook.NewVerifier("$2a$11$3xvQfzPYHvedNwRz.DWX8ecezdoiarEEuvAjL9BxBiUiPZ9BC/oYC")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Check("Secret d21b0b4b-b978-4048-85be-eb73e057f6fb"); err != nil {
		t.Errorf("Fig's own secret and hash: %v", err)
	}
	if err := v.Check("Secret d21b0b4b-b978-4048-85be-eb73e057f6fc"); err == nil {
		t.Error("a different secret passed")
	}
}

func TestVerifierRejectsABadHash(t *testing.T) {
	if _, err := hook.NewVerifier("plain-secret"); err == nil || !strings.Contains(err.Error(), "fix: paste the hashed secret") {
		t.Errorf("NewVerifier(plain) = %v, want an error naming the fix", err)
	}
}

func TestEnhancedHashIsNotPlainBcrypt(t *testing.T) {
	hashed, err := hook.EnhancedHash(secret, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hashed), []byte(secret)) == nil {
		t.Error("the enhanced hash verifies the plain secret: the SHA-384 pre-hash is missing")
	}
}
