package fig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

func TestSettingsRequest(t *testing.T) {
	fixture := readFixture(t, "fixture_c_settings.json")
	srv := newFigServer(t, respond(200, string(fixture), map[string]string{"Content-Type": "application/json; charset=utf-8"}))
	var calls atomic.Int32
	c := newTestClient(t, srv, func(o *Options) {
		o.ClientName = "My App"
		o.Instance = "Blue Team"
		o.Secret = func(context.Context) (secret.Value, error) {
			// A rotated secret file is read again for every request.
			return secret.New(fmt.Sprintf("%s-%d", testSecret, calls.Add(1))), nil
		}
	})
	id := c.RunSessionID()
	if u, err := uuid.Parse(id); err != nil || u.String() != id || len(id) != 36 {
		t.Errorf("RunSessionID() = %q, want a lower-case hyphenated UUID", id)
	}
	for i := 0; i < 2; i++ {
		got, err := c.Settings(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(fixtureCSettings(), got, wireOnly); diff != "" {
			t.Fatalf("settings mismatch (-want +got):\n%s", diff)
		}
	}
	reqs := srv.wire.requests(t)
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for i, r := range reqs {
		wantLine := "GET /clients/My%20App/settings?runSessionId=" + id + "&instance=Blue%20Team HTTP/1.1"
		if r.line != wantLine {
			t.Errorf("request line %q, want %q", r.line, wantLine)
		}
		if v, ok := r.header("clientSecret"); !ok || v != fmt.Sprintf("%s-%d", testSecret, i+1) {
			t.Errorf("clientSecret header = %q, %v (headers %q)", v, ok, r.headers)
		}
		if v, ok := r.header("Fig_Hostname"); !ok || v != "test-host" {
			t.Errorf("Fig_Hostname header = %q, %v", v, ok)
		}
		if len(r.body) != 0 {
			t.Errorf("GET with a body: %q", r.body)
		}
	}
}

func TestSettingsWithoutInstance(t *testing.T) {
	srv := newFigServer(t, respond(200, `[]`, nil))
	c := newTestClient(t, srv, func(o *Options) { o.Instance = "  " })
	if _, err := c.Settings(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := srv.wire.requests(t)[0]
	if want := "GET /clients/MyApp/settings?runSessionId=" + c.RunSessionID() + " HTTP/1.1"; r.line != want {
		t.Errorf("request line %q, want %q", r.line, want)
	}
}

func TestStatusMatchesFixtureD(t *testing.T) {
	srv := newFigServer(t, respond(200, string(readFixture(t, "fixture_d_status_response_changed.json")), nil))
	c := newTestClient(t, srv, func(o *Options) { o.FigVersion = "4.0.0.0" }) // Fixture D is Fig.Client 4.0.0's body
	c.runSession = "6a1f7c2e-0b9d-4a57-9a55-2c6f0d7f4e11"
	resp, err := c.Status(context.Background(), StatusRequest{
		StartTime:              time.Date(2025, 1, 1, 10, 0, 0, 123456700, time.UTC),
		LastSettingUpdate:      time.Date(2025, 1, 1, 12, 0, 1, 234567800, time.FixedZone("CEST", 2*3600)),
		PollInterval:           30 * time.Second,
		ApplicationVersion:     "1.0.0.0",
		OfflineSettingsEnabled: true,
		RunningUser:            "app",
		MemoryUsageBytes:       73400320,
	})
	if err != nil {
		t.Fatal(err)
	}
	interval := 30000.0
	want := StatusResponse{SettingUpdateAvailable: true, PollIntervalMs: &interval, AllowOfflineSettings: true, ChangedSettings: []string{"Location"}}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Errorf("response mismatch (-want +got):\n%s", diff)
	}
	if d, ok := resp.PollInterval(); !ok || d != 30*time.Second {
		t.Errorf("PollInterval() = %v, %v", d, ok)
	}
	r := srv.wire.requests(t)[0]
	if r.line != "PUT /statuses/MyApp HTTP/1.1" {
		t.Errorf("request line %q", r.line)
	}
	for name, want := range map[string]string{"clientSecret": testSecret, "Fig_Hostname": "test-host", "Content-Type": "application/json; charset=utf-8"} {
		if v, ok := r.header(name); !ok || v != want {
			t.Errorf("header %s = %q, %v; want %q (headers %q)", name, v, ok, want, r.headers)
		}
	}
	if diff := cmp.Diff(string(readFixture(t, "fixture_d_status_request.json")), string(r.body)); diff != "" {
		t.Errorf("body differs from Fixture D (-want +got):\n%s", diff)
	}
}

// TestNewRunSession: a restart starts a new session, as a restarted
// Fig.Client process does: a new RunSessionId in the status and the
// settings fetch, and a new start time (StartTime and the first
// LastSettingUpdate).
func TestNewRunSession(t *testing.T) {
	srv := newFigServer(t, respond(200, `{"settingUpdateAvailable":false}`, nil))
	clock := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	c := newTestClient(t, srv, nil)
	c.now = func() time.Time { return clock }
	first := c.RunSessionID()
	clock = clock.Add(time.Hour)
	c.NewRunSession()
	if c.RunSessionID() == first {
		t.Fatal("NewRunSession kept the run session")
	}
	if _, err := c.Status(context.Background(), StatusRequest{}); err != nil {
		t.Fatal(err)
	}
	var body struct{ RunSessionId, StartTime, LastSettingUpdate string }
	if err := json.Unmarshal(srv.wire.requests(t)[0].body, &body); err != nil {
		t.Fatal(err)
	}
	want := "2025-01-01T11:00:00Z"
	if body.RunSessionId != c.RunSessionID() || body.StartTime != want || body.LastSettingUpdate != want {
		t.Errorf("status = %+v, want session %s starting %s", body, c.RunSessionID(), want)
	}
}

func TestStatusResponseCasing(t *testing.T) {
	tests := map[string]StatusResponse{
		`{"$type":"Fig.Contracts.Status.StatusResponseDataContract, Fig.Contracts","settingUpdateAvailable":false,"pollIntervalMs":30000.0,"allowOfflineSettings":true,"restartRequested":false}`: {
			PollIntervalMs: ptr(30000.0), AllowOfflineSettings: true},
		`{"SettingUpdateAvailable":true,"PollIntervalMs":null,"AllowOfflineSettings":false,"RestartRequested":true,"ChangedSettings":null}`: {
			SettingUpdateAvailable: true, RestartRequested: true},
	}
	for body, want := range tests {
		srv := newFigServer(t, respond(200, body, nil))
		c := newTestClient(t, srv, func(o *Options) { o.Instance = "Blue" })
		got, err := c.Status(context.Background(), StatusRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", body, diff)
		}
		if _, ok := got.PollInterval(); ok != (want.PollIntervalMs != nil) {
			t.Errorf("PollInterval ok = %v", ok)
		}
		if r := srv.wire.requests(t)[0]; r.line != "PUT /statuses/MyApp?instance=Blue HTTP/1.1" {
			t.Errorf("request line %q", r.line)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestStatusDefaultsAndExtras(t *testing.T) {
	srv := newFigServer(t, respond(200, `{}`, nil))
	c := newTestClient(t, srv, func(o *Options) { o.ClientVersion = "2.3.4"; o.FigVersion = "4.1.0.0" })
	c.runSession = "00000000-0000-0000-0000-000000000001"
	c.started = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	body, warnings := c.encodeStatus(StatusRequest{
		LastSettingUpdate: time.Date(2025, 1, 1, 0, 0, 1, 0, time.UTC),
		PollInterval:      1500 * time.Microsecond,
		RunningUser:       "u",
		MemoryUsageBytes:  1,
		SupportsRestart:   true,
		Health: &Health{Status: HealthDegraded, Components: []HealthComponent{
			{Name: "Fig", Status: HealthHealthy}, {Name: "KeyVault", Status: HealthUnhealthy, Message: "403 on kv1"},
		}},
		CustomProperties: []CustomProperty{
			{Name: "Secrets", ValueType: CustomInteger, Value: 12, Highlight: true, Order: 1},
			{Name: "Vault", DisplayName: "Key Vault", ValueType: CustomString, Value: "kv1", TextColor: "#0a0"},
			{Name: "Uptime", ValueType: CustomTimeSpan, Value: 90 * time.Second, HideInUI: true},
			{Name: "Ratio", ValueType: CustomDouble, Value: 2.0},
		},
	})
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	want := `{"RunSessionId":"00000000-0000-0000-0000-000000000001","StartTime":"2025-01-01T00:00:00Z","LastSettingUpdate":"2025-01-01T00:00:01Z",` +
		`"PollIntervalMs":1.5,"FigVersion":"4.1.0.0","ApplicationVersion":"2.3.4","OfflineSettingsEnabled":false,"SupportsRestart":true,` +
		`"RunningUser":"u","MemoryUsageBytes":1,` +
		`"Health":{"Status":1,"Components":[{"Name":"Fig","Status":0,"Message":null},{"Name":"KeyVault","Status":2,"Message":"403 on kv1"}]},` +
		`"CustomProperties":{"Properties":[` +
		`{"Name":"Secrets","DisplayName":null,"ValueType":2,"Value":12,"EnumTypeName":null,"Highlight":true,"ShowInUi":true,"Order":1,"TextColor":null},` +
		`{"Name":"Vault","DisplayName":"Key Vault","ValueType":0,"Value":"kv1","EnumTypeName":null,"Highlight":false,"ShowInUi":true,"Order":0,"TextColor":"#0a0"},` +
		`{"Name":"Uptime","DisplayName":null,"ValueType":10,"Value":"00:01:30","EnumTypeName":null,"Highlight":false,"ShowInUi":false,"Order":0,"TextColor":null},` +
		`{"Name":"Ratio","DisplayName":null,"ValueType":4,"Value":2.0,"EnumTypeName":null,"Highlight":false,"ShowInUi":true,"Order":0,"TextColor":null}` +
		`]},"HasConfigurationError":false,"ConfigurationErrors":[]}`
	if diff := cmp.Diff(want, string(body)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	// Defaults: 30 s, the Client's start (as StartTime and as the change
	// cursor before the first fetch: never DateTime.MinValue, which a real
	// Fig answers with 400), the process's user and memory.
	body, _ = c.encodeStatus(StatusRequest{CustomProperties: []CustomProperty{}})
	for _, part := range []string{`"StartTime":"2025-01-01T00:00:00Z"`, `"PollIntervalMs":30000.0`, `"LastSettingUpdate":"2025-01-01T00:00:00Z"`, `"CustomProperties":{"Properties":[]}`} {
		if !strings.Contains(string(body), part) {
			t.Errorf("default body %s lacks %s", body, part)
		}
	}
	if strings.Contains(string(body), `"MemoryUsageBytes":0,`) {
		t.Errorf("memory not measured: %s", body)
	}
}

func TestLimitCustomProperties(t *testing.T) {
	long := strings.Repeat("n", 70)
	props := []CustomProperty{
		{Name: "", ValueType: CustomString, Value: "x"},
		{Name: long, ValueType: CustomString, Value: strings.Repeat("v", 3000), DisplayName: strings.Repeat("d", 100)},
		{Name: "dup", ValueType: CustomBoolean, Value: true},
		{Name: "DUP", ValueType: CustomBoolean, Value: false},
		{Name: "badtype", ValueType: 99, Value: 1},
		{Name: "notbool", ValueType: CustomBoolean, Value: "yes"},
		{Name: "bigint", ValueType: CustomInteger, Value: int64(1) << 40},
		{Name: "color", ValueType: CustomLong, Value: uint32(7), TextColor: "red"},
		{Name: "guid", ValueType: CustomGUID, Value: uuid.MustParse("6a1f7c2e-0b9d-4a57-9a55-2c6f0d7f4e11")},
		{Name: "when", ValueType: CustomDateTime, Value: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Name: "null", ValueType: CustomString},
	}
	got, warnings := limitCustomProperties(props)
	var names []string
	for _, p := range got {
		names = append(names, p.Name)
	}
	wantNames := []string{long[:64], "dup", "color", "guid", "when", "null"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if v := got[0].Value.(string); len(v) != 2048 {
		t.Errorf("value not truncated: %d", len(v))
	}
	if got[2].TextColor != "" {
		t.Errorf("invalid color kept")
	}
	if len(warnings) != 8 {
		t.Errorf("%d warnings: %q", len(warnings), warnings)
	}
	for _, w := range warnings {
		if strings.Contains(w, "vvvv") || strings.Contains(w, "yes") {
			t.Errorf("warning quotes a value: %s", w)
		}
	}

	// Count and size limits.
	var many []CustomProperty
	for i := 0; i < 30; i++ {
		many = append(many, CustomProperty{Name: fmt.Sprintf("p%02d", i), ValueType: CustomString, Value: "v"})
	}
	got, warnings = limitCustomProperties(many)
	want := []string{`5 custom properties dropped ("p25" … "p29"): Fig accepts at most 25, in at most 4096 bytes of JSON`}
	if len(got) != maxCustomProperties || !slices.Equal(warnings, want) {
		t.Errorf("count limit: kept %d, warnings %q, want one summing up the dropped: %q", len(got), warnings, want)
	}
	var big []CustomProperty
	for i := 0; i < 5; i++ {
		big = append(big, CustomProperty{Name: fmt.Sprintf("b%d", i), ValueType: CustomString, Value: strings.Repeat("x", 2000)})
	}
	big = append(big, CustomProperty{Name: "small", ValueType: CustomString, Value: "fits", DisplayName: strings.Repeat("d", 2100)})
	got, warnings = limitCustomProperties(big)
	var w dotnet.Writer
	writeCustomProperties(&w, got)
	if len(got) != 1 || got[0].Name != "b0" || len(w.Bytes()) > maxCustomPropertiesBytes || len(warnings) != 2 {
		t.Errorf("size limit: kept %d properties, %d bytes, warnings %q", len(got), len(w.Bytes()), warnings)
	}
	got, _ = limitCustomProperties(big[5:])
	if len(got) != 1 || dotnet.UTF16Len(got[0].DisplayName) != 2048 {
		t.Errorf("display name not truncated: %v", got)
	}
}

// TestCustomPropertiesSizeLimitIsExact: the size is summed property by
// property, not re-encoded; a list of exactly maxCustomPropertiesBytes is
// kept and one byte more is not.
func TestCustomPropertiesSizeLimitIsExact(t *testing.T) {
	first := CustomProperty{Name: "a", ValueType: CustomString, Value: strings.Repeat("x", 1900)}
	second := func(n int) CustomProperty {
		return CustomProperty{Name: "b", ValueType: CustomString, Value: strings.Repeat("y", n)}
	}
	var w dotnet.Writer
	writeCustomProperties(&w, []CustomProperty{first, second(0)})
	fits := maxCustomPropertiesBytes - len(w.Bytes()) // the longest second value that fits
	for _, tt := range []struct{ n, kept int }{{fits, 2}, {fits + 1, 1}} {
		got, _ := limitCustomProperties([]CustomProperty{first, second(tt.n)})
		var w dotnet.Writer
		writeCustomProperties(&w, got)
		if len(got) != tt.kept || len(w.Bytes()) > maxCustomPropertiesBytes {
			t.Errorf("second value of %d bytes: kept %d properties (%d bytes of JSON), want %d", tt.n, len(got), len(w.Bytes()), tt.kept)
		}
	}
}

func TestHealthProbe(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	record := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			paths = append(paths, r.URL.Host+r.URL.Path)
			mu.Unlock()
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `[]`)
		}
	}
	down := newFigServer(t, record(503))
	up := newFigServer(t, record(200))
	gone := newFigServer(t, record(200))
	gone.Close()

	tests := []struct {
		name      string
		uris      []string
		wantBase  string
		wantPaths []string // paths seen by down/up, in order
	}{
		{"second healthy wins", []string{down.URL + "/fig/", up.URL + "/fig/"}, up.URL, []string{"/fig/_health", "/fig/_health", "/clients/MyApp/settings"}},
		{"unreachable then healthy", []string{gone.URL, " " + up.URL + " "}, up.URL, []string{"/_health", "/clients/MyApp/settings"}},
		{"path without slash resolves like .NET", []string{down.URL + "/fig", up.URL + "/fig"}, up.URL, []string{"/_health", "/_health", "/clients/MyApp/settings"}},
		{"none healthy uses the first", []string{down.URL + "/api/", gone.URL}, down.URL, []string{"/api/_health", "/clients/MyApp/settings"}},
		{"single URI is not probed and its path is dropped", []string{up.URL + "/fig/"}, up.URL, []string{"/clients/MyApp/settings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			paths = nil
			mu.Unlock()
			c, err := New(context.Background(), Options{URIs: tt.uris, ClientName: "MyApp", Secret: staticSecret(testSecret), HTTPClient: up.http, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if c.BaseURL() != tt.wantBase {
				t.Errorf("BaseURL() = %q, want %q", c.BaseURL(), tt.wantBase)
			}
			_, _ = c.Settings(context.Background())
			mu.Lock()
			got := make([]string, len(paths))
			for i, p := range paths {
				got[i] = p[strings.Index(p, "/"):]
			}
			mu.Unlock()
			if diff := cmp.Diff(tt.wantPaths, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	ok := Options{URIs: []string{"https://fig.example"}, ClientName: "MyApp", Secret: staticSecret(testSecret)}
	tests := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"empty name", func(o *Options) { o.ClientName = " " }, "empty"},
		{"metacharacter", func(o *Options) { o.ClientName = "My.App" }, `forbids, "."`},
		{"long name", func(o *Options) { o.ClientName = strings.Repeat("a", 256) }, "at most 255"},
		{"no URI", func(o *Options) { o.URIs = nil }, "FIG_API_URI"},
		{"relative URI", func(o *Options) { o.URIs = []string{"fig-api:8080"} }, "absolute"},
		{"no secret", func(o *Options) { o.Secret = nil }, "Secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			_, err := New(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New() error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	fig := func(typ, msg string) string {
		return fmt.Sprintf(`{"ErrorType":%q,"Message":%q,"Detail":null,"Reference":"0e3b2f5c-6a9e-4b53-8f0b-3f3b7d1c9a21"}`, typ, msg)
	}
	tests := []struct {
		name       string
		status     int
		body       string
		header     map[string]string
		kind       error
		temporary  bool
		retryAfter time.Duration
		want       []string
	}{
		{"401", 401, fig("401", "Invalid client secret for client 'MyApp'"), nil, errUnauthorized, false, 0,
			[]string{"rejected the client secret", "'MyApp'", "Invalid client secret for client 'MyApp'", "FIG_MYAPP_SECRET", "fig.clientSecret"}},
		{"401 ProblemDetails", 401, `{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.2","title":"Unauthorized","status":401}`, nil, errUnauthorized, false, 0,
			[]string{"rejected the client secret"}},
		{"404", 404, fig("404", "No existing registration for client 'MyApp'"), nil, ErrNotRegistered, false, 0,
			[]string{"client 'MyApp' is not registered in Fig", "register it (fig.register", "No existing registration"}},
		{"400", 400, fig("400", "Client secret is invalid."), nil, errBadRequest, false, 0,
			[]string{"Fig rejected the request: Client secret is invalid."}},
		{"408", 408, ``, nil, errUnexpectedStatus, true, 0, []string{"timed out"}},
		{"429", 429, `Rate limit exceeded. Please try again later.`, map[string]string{"Retry-After": "120"}, errRateLimited, true, 120 * time.Second,
			[]string{"rate limit", "wait 2m0s"}},
		{"500", 500, fig("500", "Object reference not set"), nil, errServer, true, 0,
			[]string{"HTTP 500", "Object reference not set", "0e3b2f5c-6a9e-4b53-8f0b-3f3b7d1c9a21"}},
		{"503 with date", 503, `<html>down</html>`, map[string]string{"Retry-After": time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)}, errServer, true, 90 * time.Second,
			[]string{"HTTP 503"}},
		{"redirect elsewhere", 302, ``, map[string]string{"Location": "https://elsewhere.example/clients/MyApp/settings"}, errUnexpectedStatus, false, 0,
			[]string{"unexpected HTTP status 302", "another host"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFigServer(t, respond(tt.status, tt.body, tt.header))
			c := newTestClient(t, srv, nil)
			_, err := c.Settings(context.Background())
			var se *source.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *source.Error", err, err)
			}
			if se.Source != "fig" || se.Op != "GET /clients/MyApp/settings" || se.StatusCode != tt.status {
				t.Errorf("Source %q, Op %q, StatusCode %d", se.Source, se.Op, se.StatusCode)
			}
			if se.Temporary != tt.temporary || source.IsTemporary(err) != tt.temporary {
				t.Errorf("Temporary = %v, want %v", se.Temporary, tt.temporary)
			}
			if d := se.RetryAfter - tt.retryAfter; d < -time.Second || d > time.Second {
				t.Errorf("RetryAfter = %v, want %v", se.RetryAfter, tt.retryAfter)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.kind)
			}
			if se.Fix == "" {
				t.Error("no fix")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "<html>") || strings.Contains(err.Error(), "Please try") {
				t.Errorf("error leaks the secret or a body: %q", err)
			}
		})
	}
}

func TestSameHostRedirectIsFollowed(t *testing.T) {
	srv := newFigServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old/clients/MyApp/settings" || strings.HasPrefix(r.URL.Path, "/clients/") && r.URL.Query().Get("moved") == "" {
			http.Redirect(w, r, "/clients/MyApp/settings?moved=1", http.StatusTemporaryRedirect)
			return
		}
		_, _ = io.WriteString(w, `[]`)
	}))
	c := newTestClient(t, srv, nil)
	if _, err := c.Settings(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := srv.wire.requests(t)
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	if v, _ := reqs[1].header("clientSecret"); v != testSecret {
		t.Errorf("redirected request lost its secret header: %q", reqs[1].headers)
	}
}

func TestErrorsNeverEchoTheSecret(t *testing.T) {
	srv := newFigServer(t, respond(400, `{"ErrorType":"400","Message":"bad secret `+testSecret+`","Reference":"r"}`, nil))
	c := newTestClient(t, srv, nil)
	_, err := c.Settings(context.Background())
	if err == nil || strings.Contains(err.Error(), testSecret) || !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("error = %v", err)
	}
}

func TestTransportErrors(t *testing.T) {
	t.Run("server down", func(t *testing.T) {
		srv := newFigServer(t, respond(200, `[]`, nil))
		down := "https://" + testutil.DroppingAddr(t)
		c := newTestClient(t, srv, func(o *Options) { o.URIs = []string{down} })
		_, err := c.Settings(context.Background())
		var se *source.Error
		if !errors.As(err, &se) || !se.Temporary || se.StatusCode != 0 || !strings.Contains(err.Error(), "cannot reach the Fig API") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		// The handler answers nothing until the test ends: answering when
		// the request's context ends would race the client's own timeout
		// with an empty 200.
		release := make(chan struct{})
		srv := newFigServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer close(release)
		c := newTestClient(t, srv, func(o *Options) { o.Timeout = 50 * time.Millisecond })
		_, err := c.Settings(context.Background())
		var se *source.Error
		if !errors.As(err, &se) || !se.Temporary || !strings.Contains(err.Error(), "no answer") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("caller cancelled", func(t *testing.T) {
		srv := newFigServer(t, respond(200, `[]`, nil))
		c := newTestClient(t, srv, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Settings(ctx)
		var se *source.Error
		if !errors.As(err, &se) || se.Temporary || !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := newFigServer(t, respond(200, `[]`, nil))
		c := newTestClient(t, srv, func(o *Options) { o.HTTPClient = &http.Client{} })
		_, err := c.Settings(context.Background())
		if err == nil || !strings.Contains(err.Error(), "not trusted") || !strings.Contains(err.Error(), "tls.caFile") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("secret source fails", func(t *testing.T) {
		srv := newFigServer(t, respond(200, `[]`, nil))
		c := newTestClient(t, srv, func(o *Options) {
			o.Secret = func(context.Context) (secret.Value, error) {
				return secret.Value{}, errors.New("open /var/run/secrets/fig/secret: no such file")
			}
		})
		_, err := c.Settings(context.Background())
		var se *source.Error
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "no such file") || len(srv.wire.requests(t)) != 0 {
			t.Errorf("error = %v", err)
		}
		c = newTestClient(t, srv, func(o *Options) { o.Secret = staticSecret("abc\n") })
		if _, err := c.Settings(context.Background()); !errors.Is(err, errInvalidSecret) {
			t.Errorf("newline in secret: %v", err)
		}
	})
	t.Run("garbage body", func(t *testing.T) {
		srv := newFigServer(t, respond(200, `<html>hello</html>`, nil))
		c := newTestClient(t, srv, nil)
		_, err := c.Settings(context.Background())
		var se *source.Error
		if !errors.As(err, &se) || se.Temporary || se.StatusCode != 200 || strings.Contains(err.Error(), "hello") {
			t.Errorf("error = %v", err)
		}
	})
}
