package figapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

const (
	statusNoChange = `{"$type":"Fig.Contracts.Status.StatusResponseDataContract, Fig.Contracts","settingUpdateAvailable":false,"pollIntervalMs":30000.0,"allowOfflineSettings":true,"restartRequested":false}`
	statusLocation = `{"$type":"Fig.Contracts.Status.StatusResponseDataContract, Fig.Contracts","settingUpdateAvailable":true,"pollIntervalMs":30000.0,"allowOfflineSettings":true,"restartRequested":false,"changedSettings":["Location"]}`
)

func seedMyApp(t *testing.T, e *env) {
	t.Helper()
	seed(t, e, figapi.ClientSeed{Name: "MyApp", Settings: []figapi.SettingSeed{
		{Name: "Location", Value: figapi.String("Melbourne")},
		{Name: "RetryCount", Value: figapi.Int(3)},
	}})
}

func wantBody(t *testing.T, r response, want string) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if diff := cmp.Diff(want, r.body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

// TestStatusUpdateSequence is the change-detection loop of §5.1 (Fixture D):
// no change, an admin edit, the poll that reports it, the fetch, and the
// poll after it.
func TestStatusUpdateSequence(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	loaded := e.clock.Now()
	e.settings("MyApp", "", secret)
	wantBody(t, e.status("MyApp", "", secret, loaded), statusNoChange)

	e.clock.Add(10 * time.Second)
	if err := e.srv.SetValue("MyApp", "", "Location", figapi.String("Sydney")); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(10 * time.Second)
	wantBody(t, e.status("MyApp", "", secret, loaded), statusLocation)

	if r := e.settings("MyApp", "", secret); !strings.Contains(r.body, `"Sydney"`) {
		t.Fatalf("fetch after change: %s", r.body)
	}
	wantBody(t, e.status("MyApp", "", secret, e.clock.Now()), statusNoChange)
}

// TestStatusChangesInOneClockTick freezes the clock: every change must
// still order after the cursor of a client that fetched between them.
func TestStatusChangesInOneClockTick(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	if err := e.srv.SetValue("MyApp", "", "Location", figapi.String("A")); err != nil {
		t.Fatal(err)
	}
	first := e.srv.Clients()[0].LastSettingValueUpdate
	wantBody(t, e.status("MyApp", "", secret, first), statusNoChange)
	if err := e.srv.SetValue("MyApp", "", "RetryCount", figapi.Int(4)); err != nil {
		t.Fatal(err)
	}
	second := e.srv.Clients()[0].LastSettingValueUpdate
	if !second.After(first) {
		t.Fatalf("stamps %v then %v: not strictly increasing", first, second)
	}
	r := e.status("MyApp", "", secret, first)
	if !strings.Contains(r.body, `"settingUpdateAvailable":true`) || !strings.Contains(r.body, `"changedSettings":["Location","RetryCount"]`) {
		t.Errorf("status after a second change in the same tick: %s", r.body)
	}
	// Setting a value to what it already is changes nothing.
	if err := e.srv.SetValue("MyApp", "", "RetryCount", figapi.Int(4)); err != nil {
		t.Fatal(err)
	}
	if got := e.srv.Clients()[0].LastSettingValueUpdate; !got.Equal(second) {
		t.Errorf("no-op edit moved the stamp to %v", got)
	}
}

// TestStatusCursorCompare covers the comparison itself: UTC, full
// precision, offsets converted, and the 1 s margins of changedSettings.
func TestStatusCursorCompare(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	e.clock.Add(123456789 * time.Nanosecond)
	if err := e.srv.SetValue("MyApp", "", "Location", figapi.String("B")); err != nil {
		t.Fatal(err)
	}
	at := e.srv.Clients()[0].LastSettingValueUpdate
	cases := []struct {
		name, last string
		update     bool
	}{
		{"100 ns before", at.Add(-100).Format("2006-01-02T15:04:05.9999999Z"), true},
		{"same tick (truncated)", at.Format("2006-01-02T15:04:05.9999999Z"), true},
		{"nanosecond exact", at.Format(time.RFC3339Nano), false},
		{"after", at.Add(time.Millisecond).Format(time.RFC3339Nano), false},
		{"offset after", at.Add(time.Second).In(time.FixedZone("", -5*3600)).Format(time.RFC3339Nano), false},
		{"offset before", at.Add(-time.Second).In(time.FixedZone("", 5*3600)).Format(time.RFC3339Nano), true},
		{"no zone is UTC", at.Add(time.Second).Format("2006-01-02T15:04:05.9999999"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := `{"RunSessionId":"` + runID + `","LastSettingUpdate":"` + c.last + `","PollIntervalMs":30000.0}`
			r := e.do(http.MethodPut, "/statuses/MyApp", map[string]string{"clientSecret": secret}, []byte(body))
			var got struct {
				SettingUpdateAvailable bool
				ChangedSettings        []string
			}
			if err := json.Unmarshal([]byte(r.body), &got); err != nil {
				t.Fatalf("%d %s: %v", r.status, r.body, err)
			}
			if got.SettingUpdateAvailable != c.update {
				t.Errorf("settingUpdateAvailable = %v, want %v (%s)", got.SettingUpdateAvailable, c.update, r.body)
			}
			if c.update && len(got.ChangedSettings) != 1 {
				t.Errorf("changedSettings = %v", got.ChangedSettings)
			}
		})
	}
}

// TestStatusMinValueCursor is StatusService.SyncStatus with a
// LastSettingUpdate of DateTime.MinValue: harmless while the client has never
// had a value changed, but once it has, GetChangedSettingNames' AddSeconds(-1)
// throws, Fig answers 400 and the transaction rolls the run session back.
func TestStatusMinValueCursor(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	send := func() response {
		return e.do(http.MethodPut, "/statuses/MyApp", map[string]string{"clientSecret": secret}, statusBody(runID, time.Time{}, 30000))
	}
	if r := send(); r.status != http.StatusOK {
		t.Fatalf("never-changed client: %d %s, want 200", r.status, r.body)
	}
	if err := e.srv.DeleteClient("MyApp", ""); err != nil {
		t.Fatal(err)
	}
	seedMyApp(t, e)
	if err := e.srv.SetValue("MyApp", "", "Location", figapi.String("B")); err != nil {
		t.Fatal(err)
	}
	figError(t, send(), http.StatusBadRequest, "The added or subtracted value results in an un-representable DateTime. (Parameter 'value')")
	if got := e.srv.RunSessions("MyApp"); len(got) != 0 {
		t.Errorf("run sessions after the rejected status = %+v, want none (rolled back)", got)
	}
	e.clock.Add(time.Second)
	r := e.do(http.MethodPut, "/statuses/MyApp", map[string]string{"clientSecret": secret}, statusBody(runID, e.clock.Now(), 30000))
	if r.status != http.StatusOK {
		t.Fatalf("status with a real cursor: %d %s", r.status, r.body)
	}
}

func TestStatusSessionSettings(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	send := func(id string, pollMs float64, last time.Time) string {
		return e.do(http.MethodPut, "/statuses/MyApp", map[string]string{"clientSecret": secret}, statusBody(id, last, pollMs)).body
	}
	const other = "0e3b2f5c-6a9e-4b53-8f0b-3f3b7d1c9a21"
	if b := send(runID, 5000, e.clock.Now()); !strings.Contains(b, `"pollIntervalMs":5000.0`) {
		t.Errorf("new session's interval: %s", b)
	}
	if b := send(runID, 10000, e.clock.Now()); !strings.Contains(b, `"pollIntervalMs":5000.0`) {
		t.Errorf("the interval is taken only when the session is created: %s", b)
	}
	c := e.srv.Config()
	c.PollIntervalOverride = new(60000.0)
	c.AllowOfflineSettings = false
	e.srv.SetConfig(c)
	if b := send(runID, 5000, e.clock.Now()); !strings.Contains(b, `"pollIntervalMs":60000.0,"allowOfflineSettings":false`) {
		t.Errorf("override and offline off: %s", b)
	}
	c.PollIntervalOverride = nil
	e.srv.SetConfig(c)

	send(other, 30000, e.clock.Now())
	if err := e.srv.RequestRestart(runID); err != nil {
		t.Fatal(err)
	}
	if b := send(runID, 5000, e.clock.Now()); !strings.Contains(b, `"restartRequested":true`) {
		t.Errorf("after RequestRestart: %s", b)
	}
	if b := send(other, 5000, e.clock.Now()); !strings.Contains(b, `"restartRequested":false`) {
		t.Errorf("the other session: %s", b)
	}

	if err := e.srv.SetLiveReload(strings.ToUpper(other), false); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SetValue("MyApp", "", "Location", figapi.String("C")); err != nil {
		t.Fatal(err)
	}
	old := e.clock.Now().Add(-time.Hour)
	if b := send(other, 5000, old); !strings.Contains(b, `"settingUpdateAvailable":false`) || strings.Contains(b, "changedSettings") {
		t.Errorf("live reload off: %s", b)
	}
	if b := send(runID, 5000, old); !strings.Contains(b, `"settingUpdateAvailable":true`) {
		t.Errorf("live reload on: %s", b)
	}
	if err := e.srv.RequestRestart("00000000-0000-0000-0000-000000000001"); err == nil {
		t.Error("RequestRestart of an unknown session succeeded")
	}
}

func TestStatusRecordsRunSession(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	body := `{"runSessionId":"` + strings.ToUpper(runID) + `","startTime":"2025-01-01T10:00:00.1234567Z","lastSettingUpdate":"2025-01-01T10:00:01Z",` +
		`"pollIntervalMs":15000,"figVersion":"4.0.0.0","applicationVersion":"2.1.0","offlineSettingsEnabled":true,"supportsRestart":true,` +
		`"runningUser":"app","memoryUsageBytes":1024,"health":{"status":1,"components":[{"name":"Registration","status":"Unhealthy","message":"no"}]},` +
		`"customProperties":{"Properties":[]}}`
	e.clock.Add(time.Second)
	r := e.do(http.MethodPut, "/statuses/MyApp?instance=Dev", map[string]string{"clientSecret": secret, "Fig_Hostname": "pod-7"}, []byte(body))
	if r.status != 200 {
		t.Fatalf("status: %d %s", r.status, r.body)
	}
	got := e.srv.RunSessions("MyApp")
	want := []figapi.RunSession{{
		ID: runID, Client: "MyApp", Instance: "Dev", ServedInstance: "", Hostname: "pod-7",
		StartTime: time.Date(2025, 1, 1, 10, 0, 0, 123456700, time.UTC), FirstSeen: e.clock.Now(), LastSeen: e.clock.Now(),
		LastSettingLoad: e.clock.Now(), LastSettingUpdate: time.Date(2025, 1, 1, 10, 0, 1, 0, time.UTC),
		PollIntervalMs: 15000, LiveReload: true, Statuses: 1, FigVersion: "4.0.0.0", ApplicationVersion: "2.1.0",
		RunningUser: "app", OfflineSettingsEnabled: true, SupportsRestart: true, MemoryUsageBytes: 1024,
		Health:           &figapi.Health{Status: figapi.Degraded, Components: []figapi.HealthComponent{{Name: "Registration", Status: figapi.Unhealthy, Message: "no"}}},
		CustomProperties: json.RawMessage(`{"Properties":[]}`), LastStatus: json.RawMessage(body), HealthChanges: 1,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("run sessions (-want +got):\n%s", diff)
	}
}

// TestStatusRestartIsPerRunSession models Fig's session rules for a restart
// (StatusService.cs RequestRestart/SyncStatus,
// ClientRunSessionBusinessEntity.RestartRequested): the flag belongs to the
// session an admin picked and is answered to it at every poll, however
// often; only a new session (a restarted process) is answered false, and the
// old one stays flagged until it expires (2 poll intervals + 50 ms without a
// status), which is when Fig's Clients page stops showing the restart busy.
func TestStatusRestartIsPerRunSession(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	const newRun = "0b6c7d2e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"
	put := func(id string) string {
		r := e.do(http.MethodPut, "/statuses/MyApp", map[string]string{"clientSecret": secret}, statusBody(id, e.clock.Now(), 30000))
		if r.status != 200 {
			t.Fatalf("status: %d %s", r.status, r.body)
		}
		return r.body
	}
	put(runID)
	if err := e.srv.RequestRestart(runID); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if b := put(runID); !strings.Contains(b, `"restartRequested":true`) {
			t.Fatalf("poll %d of the old session: %s, want restartRequested true", i, b)
		}
	}
	if b := put(newRun); !strings.Contains(b, `"restartRequested":false`) {
		t.Fatalf("the new session: %s, want restartRequested false", b)
	}
	byID := func() map[string]figapi.RunSession {
		m := map[string]figapi.RunSession{}
		for _, rs := range e.srv.RunSessions("MyApp") {
			m[rs.ID] = rs
		}
		return m
	}
	if old := byID()[runID]; !old.RestartRequested || old.Expired {
		t.Fatalf("old session: restartRequested %v, expired %v; want still flagged and listed", old.RestartRequested, old.Expired)
	}
	e.clock.Add(60*time.Second + 51*time.Millisecond)
	put(newRun)
	if s := byID(); !s[runID].Expired || s[newRun].Expired {
		t.Errorf("after 2×30 s + 51 ms: old expired %v, new expired %v; want true, false", s[runID].Expired, s[newRun].Expired)
	}
}

// TestStatusHealthChanges counts health changes as Fig's run session Update
// does (ClientRunSessionBusinessEntityExtensions.cs): the first health, then
// every health whose JSON differs; an identical health or a null one is no
// change. Each change is a HealthStatusChanged event and web hook in Fig.
func TestStatusHealthChanges(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	put := func(health any) {
		var body map[string]any
		_ = json.Unmarshal(statusBody(runID, e.clock.Now(), 30000), &body)
		body["Health"] = health
		b, _ := json.Marshal(body)
		if r := e.do(http.MethodPut, "/statuses/MyApp", map[string]string{"clientSecret": secret}, b); r.status != 200 {
			t.Fatalf("status: %d %s", r.status, r.body)
		}
	}
	healthy := map[string]any{"Status": 0, "Components": []any{map[string]any{"Name": "application", "Status": 0, "Message": "Healthy"}}}
	failing := map[string]any{"Status": 2, "Components": []any{map[string]any{"Name": "application", "Status": 2, "Message": "HTTP 503"}}}
	for _, h := range []any{healthy, healthy, nil, failing, failing, healthy} {
		put(h)
	}
	if got := e.srv.RunSessions("MyApp")[0].HealthChanges; got != 3 {
		t.Errorf("HealthChanges = %d, want 3 (first, failing, healthy again)", got)
	}
}

func TestStatusErrors(t *testing.T) {
	cases := []struct {
		name, path string
		headers    map[string]string
		body       string
		status     int
		message    string
	}{
		{"unknown client", "/statuses/Nope", map[string]string{"clientSecret": secret}, "", 404, "No existing registration for client 'Nope'"},
		{"wrong secret", "/statuses/MyApp", map[string]string{"clientSecret": otherSecret}, "", 401, "Invalid Secret for client 'MyApp'"},
		{"wrong secret, instance fallback", "/statuses/MyApp?instance=Dev", map[string]string{"clientSecret": otherSecret}, "", 401, "Invalid Secret for client 'MyApp'"},
		{"no secret", "/statuses/MyApp", map[string]string{}, "", 401, ""},
		{"blank secret", "/statuses/MyApp", map[string]string{"clientSecret": " "}, "", 401, ""},
		{"no content type", "/statuses/MyApp", map[string]string{"clientSecret": " ", "Content-Type": ""}, "", 415, ""},
		{"text/plain", "/statuses/MyApp", map[string]string{"clientSecret": secret, "Content-Type": "text/plain"}, "", 415, ""},
		{"empty body", "/statuses/MyApp", map[string]string{"clientSecret": secret}, " ", 400, ""},
		{"bad guid", "/statuses/MyApp", map[string]string{"clientSecret": secret}, `{"RunSessionId":"x"}`, 400, ""},
		{"bad date", "/statuses/MyApp", map[string]string{"clientSecret": secret}, `{"LastSettingUpdate":"yesterday"}`, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, figapi.Options{})
			seedMyApp(t, e)
			body := []byte(c.body)
			if c.body == "" {
				body = statusBody(runID, e.clock.Now(), 30000)
			}
			r := e.do(http.MethodPut, c.path, c.headers, body)
			if c.message == "" {
				problem(t, r, c.status)
				return
			}
			figError(t, r, c.status, c.message)
		})
	}
}

func TestStatusFig3WritesNulls(t *testing.T) {
	e := newEnv(t, figapi.Options{Fig3: true})
	seedMyApp(t, e)
	wantBody(t, e.status("MyApp", "", secret, e.clock.Now()),
		`{"$type":"Fig.Contracts.Status.StatusResponseDataContract, Fig.Contracts","settingUpdateAvailable":false,"pollIntervalMs":30000.0,"allowOfflineSettings":true,"restartRequested":false,"changedSettings":null}`)
}

func TestStatusInstanceRows(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	since := e.clock.Now()
	if err := e.srv.SetValue("MyApp", "Prod", "Location", figapi.String("Perth")); err != nil {
		t.Fatal(err)
	}
	// The base client did not change; the new instance did.
	wantBody(t, e.status("MyApp", "", secret, since), statusNoChange)
	wantBody(t, e.status("MyApp", "instance=Dev", secret, since), statusNoChange)
	r := e.status("MyApp", "instance=Prod", secret, since)
	if !strings.Contains(r.body, `"settingUpdateAvailable":true`) {
		t.Errorf("instance Prod: %s", r.body)
	}
}

func TestStatusGzipBody(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	r := e.do(http.MethodPut, "/statuses/MyApp", map[string]string{"clientSecret": secret, "Content-Encoding": "gzip"},
		gz(t, statusBody(runID, e.clock.Now(), 30000)))
	wantBody(t, r, statusNoChange)
	if rs := e.srv.RunSessions("MyApp"); len(rs) != 1 || !strings.HasPrefix(string(rs[0].LastStatus), `{"ApplicationVersion"`) {
		t.Errorf("run session after gzipped status: %+v", rs)
	}
	r = e.do(http.MethodPut, "/statuses/MyApp", map[string]string{"clientSecret": secret, "Content-Encoding": "gzip"}, []byte("not gzip"))
	problem(t, r, 400)
	r = e.do(http.MethodPut, "/statuses/MyApp", map[string]string{"clientSecret": secret, "Content-Encoding": "br"}, statusBody(runID, e.clock.Now(), 30000))
	problem(t, r, 400)
}

// TestStatusRestartRequiredToApplySettings: changing a setting without live
// update marks every session of the client as needing a restart
// (SettingsService.UpdateSettingValues → StatusService.MarkRestartRequired;
// the web UI's "Restart Required"); a session that starts afterwards — the
// restarted process — does not need one.
func TestStatusRestartRequiredToApplySettings(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	body := strings.Replace(fixtureB, `"SupportsLiveUpdate": true`, `"SupportsLiveUpdate": false`, 1) // Location
	if r := e.register(secret, body); r.status != 200 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	e.status("MyApp", "", secret, e.clock.Now())
	if err := e.srv.SetValue("MyApp", "", "RetryCount", figapi.Int(9)); err != nil { // live update: no restart
		t.Fatal(err)
	}
	if e.srv.RunSessions("MyApp")[0].RestartRequiredToApplySettings {
		t.Fatal("a live-update change asks for a restart")
	}
	if err := e.srv.SetValue("MyApp", "", "Location", figapi.String("Perth")); err != nil {
		t.Fatal(err)
	}
	if !e.srv.RunSessions("MyApp")[0].RestartRequiredToApplySettings {
		t.Fatal("a change without live update does not ask the running session for a restart")
	}
	const newRun = "0b6c7d2e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"
	e.do(http.MethodPut, "/statuses/MyApp", map[string]string{"clientSecret": secret}, statusBody(newRun, e.clock.Now(), 30000))
	for _, s := range e.srv.RunSessions("MyApp") {
		if s.ID == newRun && s.RestartRequiredToApplySettings {
			t.Error("the restarted session still needs a restart")
		}
	}
}
