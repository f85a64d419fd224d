package figapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

const hookSecret = "d21b0b4b-b978-4048-85be-eb73e057f6fb"

// received is one request a web hook receiver got.
type received struct {
	Path, Auth, ContentType, Body string
}

// receiver is a TLS web hook receiver answering status.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	status int
}

func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.URL.Path, req.Header.Get("Authorization"), req.Header.Get("Content-Type"), string(body)})
		r.mu.Unlock()
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// hookEnv is an emulator with web hooks to rcv; sent delivers each attempt.
func hookEnv(t *testing.T, rcv *receiver, base string, hooks ...figapi.WebHook) (*env, chan figapi.WebHookResult) {
	t.Helper()
	sent := make(chan figapi.WebHookResult, 10)
	e := newEnv(t, figapi.Options{
		WebHooks:          []figapi.WebHookClient{{Name: "relay", BaseURI: rcv.srv.URL + base, Secret: hookSecret, Hooks: hooks}},
		WebHookHTTPClient: rcv.srv.Client(),
		WebHookSent:       func(r figapi.WebHookResult) { sent <- r },
	})
	return e, sent
}

func awaitHook(t *testing.T, sent chan figapi.WebHookResult) figapi.WebHookResult {
	t.Helper()
	select {
	case r := <-sent:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no web hook sent within 10 s")
		return figapi.WebHookResult{}
	}
}

// TestSettingValueChangedIsSentAsFigSendsIt: an admin edit posts Fig's
// contract with its header, to the route resolved as .NET resolves it.
func TestSettingValueChangedIsSentAsFigSendsIt(t *testing.T) {
	tests := []struct{ name, base, wantPath string }{
		{"base URI with a trailing slash", "/fig/", "/fig/SettingValueChanged"},
		{"base URI without one loses its last segment", "/fig", "/SettingValueChanged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, 200)
			e, sent := hookEnv(t, rcv, tt.base, figapi.WebHook{Type: figapi.WebHookSettingValueChanged, ClientNameRegex: "^My", SettingNameRegex: "Location|Retry"})
			if r := e.register(secret, fixtureB); r.status != 200 {
				t.Fatalf("register: %d %s", r.status, r.body)
			}
			if err := e.srv.SetValues("MyApp", "", map[string]figapi.Value{"Location": figapi.String("Perth"), "ApiKey": figapi.String("s3cr3t")}); err != nil {
				t.Fatal(err)
			}
			if r := awaitHook(t, sent); r.Status != 200 || r.Err != nil {
				t.Fatalf("delivery %+v", r)
			}
			want := []received{{tt.wantPath, "Secret " + hookSecret, "application/json; charset=utf-8",
				`{"ClientName":"MyApp","Instance":null,"UpdatedSettings":["Location"],"Username":"admin","Link":"https://localhost:7148/","ChangeMessage":"","IsTest":false}`}}
			if diff := cmp.Diff(want, rcv.all()); diff != "" {
				t.Errorf("received (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWebHookFilters: client and setting regexes select what is sent; an
// empty setting regex matches no setting, as in Fig.
func TestWebHookFilters(t *testing.T) {
	tests := []struct {
		name string
		hook figapi.WebHook
		want int
	}{
		{"matching client and setting", figapi.WebHook{Type: figapi.WebHookSettingValueChanged, ClientNameRegex: ".*", SettingNameRegex: ".*"}, 1},
		{"other client", figapi.WebHook{Type: figapi.WebHookSettingValueChanged, ClientNameRegex: "^Billing$", SettingNameRegex: ".*"}, 0},
		{"no setting matches", figapi.WebHook{Type: figapi.WebHookSettingValueChanged, ClientNameRegex: ".*", SettingNameRegex: "^Nope$"}, 0},
		{"empty setting regex", figapi.WebHook{Type: figapi.WebHookSettingValueChanged, ClientNameRegex: ".*"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, 200)
			e, sent := hookEnv(t, rcv, "/", tt.hook, figapi.WebHook{Type: figapi.WebHookUpdatedClientRegistration, ClientNameRegex: ".*"})
			e.register(secret, fixtureB)
			if err := e.srv.SetValue("MyApp", "", "Location", figapi.String("Perth")); err != nil {
				t.Fatal(err)
			}
			// A changed registration afterwards: its hook is queued behind
			// any SettingValueChanged, so its arrival means the queue is done.
			e.register(secret, strings.Replace(fixtureB, `"City to report on"`, `"The city"`, 1))
			for r := awaitHook(t, sent); r.Type != figapi.WebHookUpdatedClientRegistration; r = awaitHook(t, sent) {
			}
			n := 0
			for _, g := range rcv.all() {
				if g.Path == "/SettingValueChanged" {
					n++
				}
			}
			if n != tt.want {
				t.Errorf("%d SettingValueChanged hooks, want %d", n, tt.want)
			}
		})
	}
}

// TestRegistrationHooks: a new registration and a changed one each post
// their contract; an identical one posts nothing.
func TestRegistrationHooks(t *testing.T) {
	rcv := newReceiver(t, 200)
	e, sent := hookEnv(t, rcv, "/", figapi.WebHook{Type: figapi.WebHookNewClientRegistration, ClientNameRegex: "MyApp"},
		figapi.WebHook{Type: figapi.WebHookUpdatedClientRegistration, ClientNameRegex: "MyApp"})
	e.register(secret, fixtureB)
	e.register(secret, fixtureB) // identical
	e.register(secret, strings.Replace(fixtureB, `"City to report on"`, `"The city"`, 1))
	awaitHook(t, sent)
	awaitHook(t, sent)
	got := rcv.all()
	if len(got) != 2 {
		t.Fatalf("received %d hooks, want 2: %+v", len(got), got)
	}
	names := `["Location","ApiKey","RetryCount"`
	for i, want := range []struct{ path, body string }{
		{"/NewClientRegistration", `{"ClientName":"MyApp","Instance":null,"Settings":` + names},
		{"/UpdatedClientRegistration", `{"ClientName":"MyApp","Instance":null,"Settings":` + names},
	} {
		if got[i].Path != want.path || !strings.HasPrefix(got[i].Body, want.body) {
			t.Errorf("hook %d: %s %s, want %s %s…", i, got[i].Path, got[i].Body, want.path, want.body)
		}
	}
	if !strings.Contains(got[0].Body, `"RegistrationType":0`) || !strings.Contains(got[1].Body, `"RegistrationType":1`) {
		t.Errorf("registration types: %s / %s", got[0].Body, got[1].Body)
	}
}

// TestWebHooksAreNotRetried: a receiver answering 500 gets the hook once.
func TestWebHooksAreNotRetried(t *testing.T) {
	rcv := newReceiver(t, 500)
	e, sent := hookEnv(t, rcv, "/", figapi.WebHook{Type: figapi.WebHookSettingValueChanged, ClientNameRegex: ".*", SettingNameRegex: ".*"},
		figapi.WebHook{Type: figapi.WebHookUpdatedClientRegistration, ClientNameRegex: ".*"})
	e.register(secret, fixtureB)
	if err := e.srv.SetValue("MyApp", "", "Location", figapi.String("Perth")); err != nil {
		t.Fatal(err)
	}
	if r := awaitHook(t, sent); r.Status != 500 {
		t.Fatalf("delivery %+v, want status 500", r)
	}
	e.register(secret, strings.Replace(fixtureB, `"City to report on"`, `"The city"`, 1)) // queued behind any retry
	awaitHook(t, sent)
	if got := len(rcv.all()); got != 2 {
		t.Errorf("receiver got %d requests, want 2 (one hook each, no retry)", got)
	}
}

func TestWebHookConfigIsChecked(t *testing.T) {
	srv := figapi.New(figapi.Options{})
	for _, c := range []figapi.WebHookClient{
		{Name: "a", BaseURI: "relay/fig/"},
		{Name: "b", BaseURI: "https://relay/", Hooks: []figapi.WebHook{{Type: "SecurityEvent", ClientNameRegex: ".*"}}},
		{Name: "c", BaseURI: "https://relay/", Hooks: []figapi.WebHook{{Type: figapi.WebHookSettingValueChanged, ClientNameRegex: "("}}},
	} {
		if err := srv.SetWebHooks([]figapi.WebHookClient{c}); err == nil || !strings.Contains(err.Error(), `"`+c.Name+`"`) {
			t.Errorf("%s: error %v, want one naming the client", c.Name, err)
		}
	}
}

// statusWithHealth is Fixture D's status carrying a health report.
func statusWithHealth(t *testing.T, e *env, health string) {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(statusBody(runID, time.Time{}.Add(time.Hour), 30000), &body); err != nil {
		t.Fatal(err)
	}
	body["Health"] = json.RawMessage(health)
	b, _ := json.Marshal(body)
	if r := e.do(http.MethodPut, "/statuses/MyApp", map[string]string{"clientSecret": secret, "Fig_Hostname": "pod-1"}, b); r.status != 200 {
		t.Fatalf("status: %d %s", r.status, r.body)
	}
}

// TestRunSessionHooks: a new run session posts ClientStatusChanged
// (Connected) and, crossing the minimum, MinRunSessions (MinimumRestored);
// its removal once expired posts Disconnected and BelowMinimum with the
// count after removal; a changed health posts HealthStatusChanged, an
// unchanged one nothing, and one Fig's converter cannot map (Unknown)
// nothing. Bodies as Newtonsoft writes Fig's contracts.
func TestRunSessionHooks(t *testing.T) {
	rcv := newReceiver(t, 200)
	e, sent := hookEnv(t, rcv, "/",
		figapi.WebHook{Type: figapi.WebHookClientStatusChanged, ClientNameRegex: "MyApp"},
		figapi.WebHook{Type: figapi.WebHookMinRunSessions, ClientNameRegex: "MyApp", MinSessions: 1},
		figapi.WebHook{Type: figapi.WebHookHealthStatusChanged, ClientNameRegex: "MyApp"})
	if r := e.register(secret, fixtureB); r.status != 200 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	healthy := `{"Status":0,"Components":[{"Name":"Database","Status":0,"Message":null}]}`
	statusWithHealth(t, e, healthy)
	statusWithHealth(t, e, healthy) // unchanged: no hook
	statusWithHealth(t, e, `{"Status":1,"Components":[{"Name":"Database","Status":1,"Message":"slow"}]}`)
	statusWithHealth(t, e, `{"Status":3,"Components":[]}`) // Unknown: Fig's converter throws
	e.clock.Add(2 * time.Minute)                           // past 2 poll intervals: expired
	if n := e.srv.RemoveExpiredSessions(); n != 1 {
		t.Fatalf("removed %d sessions, want 1", n)
	}
	for range 6 {
		if r := awaitHook(t, sent); r.Status != 200 {
			t.Fatalf("delivery %+v", r)
		}
	}
	const who = `"ClientName":"MyApp","Instance":null,`
	const session = `"StartTime":"2025-01-01T10:00:00.1234567Z","IpAddress":"127.0.0.1","Hostname":"pod-1","FigVersion":"4.0.0.0","ApplicationVersion":"1.0.0.0","Link":"https://localhost:7148/clients","IsTest":false}`
	health := func(status int, details string) string {
		return `{` + who + `"Hostname":"pod-1","IpAddress":"127.0.0.1","Status":` + fmt.Sprint(status) + `,"FigVersion":"4.0.0.0","ApplicationVersion":"1.0.0.0","HealthDetails":` + details + `,"Link":"https://localhost:7148/clients","IsTest":false}`
	}
	want := []received{
		{"/ClientStatusChanged", "Secret " + hookSecret, "application/json; charset=utf-8", `{` + who + `"ConnectionEvent":0,` + session},
		{"/MinRunSessions", "Secret " + hookSecret, "application/json; charset=utf-8", `{` + who + `"RunSessions":1,"RunSessionsEvent":1,"Link":"https://localhost:7148/clients","IsTest":false}`},
		{"/HealthStatusChanged", "Secret " + hookSecret, "application/json; charset=utf-8", health(0, healthy)},
		{"/HealthStatusChanged", "Secret " + hookSecret, "application/json; charset=utf-8", health(1, `{"Status":1,"Components":[{"Name":"Database","Status":1,"Message":"slow"}]}`)},
		{"/ClientStatusChanged", "Secret " + hookSecret, "application/json; charset=utf-8", `{` + who + `"ConnectionEvent":1,` + session},
		{"/MinRunSessions", "Secret " + hookSecret, "application/json; charset=utf-8", `{` + who + `"RunSessions":0,"RunSessionsEvent":0,"Link":"https://localhost:7148/clients","IsTest":false}`},
	}
	if diff := cmp.Diff(want, rcv.all()); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
}

// TestSessionCleanupOnFigsSchedule: as Fig's SessionCleanupWorker, the
// emulator removes expired run sessions on its own, first after the
// start-up delay, then every interval, and each removal posts the
// disconnect hook: a pod that stopped is reported disconnected within one
// interval of its session expiring, not before it expires.
func TestSessionCleanupOnFigsSchedule(t *testing.T) {
	rcv := newReceiver(t, 200)
	sent := make(chan figapi.WebHookResult, 10)
	e := newEnv(t, figapi.Options{
		WebHooks: []figapi.WebHookClient{{Name: "relay", BaseURI: rcv.srv.URL + "/", Secret: hookSecret,
			Hooks: []figapi.WebHook{{Type: figapi.WebHookClientStatusChanged, ClientNameRegex: "MyApp"}}}},
		WebHookHTTPClient:   rcv.srv.Client(),
		WebHookSent:         func(r figapi.WebHookResult) { sent <- r },
		SessionCleanupDelay: 30 * time.Second, SessionCleanupInterval: 2 * time.Minute,
	})
	if r := e.register(secret, fixtureB); r.status != 200 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	statusWithHealth(t, e, `{"Status":0,"Components":[]}`) // a session polling every 30 s: expired 60.05 s after this
	if r := awaitHook(t, sent); !strings.Contains(rcv.all()[0].Body, `"ConnectionEvent":0`) {
		t.Fatalf("connect hook %+v: %s", r, rcv.all()[0].Body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.srv.RunSessionCleanup(ctx, e.clock) }()
	t.Cleanup(func() { cancel(); <-done })
	armed := func(want time.Duration) {
		t.Helper()
		testutil.Eventually(t, fmt.Sprintf("the clean-up waiting %s", want), 5*time.Second, func() bool {
			p := e.clock.Pending()
			return len(p) == 1 && p[0] == want
		})
	}
	armed(30 * time.Second)
	e.clock.Add(30 * time.Second) // the first pass: the session is 30 s old, alive
	armed(2 * time.Minute)
	if s := e.srv.RunSessions("MyApp"); len(s) != 1 {
		t.Fatalf("the first pass removed a live session: %d left", len(s))
	}
	e.clock.Add(2 * time.Minute) // 150 s after the last status: expired, removed
	armed(2 * time.Minute)
	if s := e.srv.RunSessions("MyApp"); len(s) != 0 {
		t.Errorf("%d sessions left after the pass past their expiry, want 0", len(s))
	}
	awaitHook(t, sent)
	if got := rcv.all(); len(got) != 2 || got[1].Path != "/ClientStatusChanged" || !strings.Contains(got[1].Body, `"ConnectionEvent":1`) {
		t.Errorf("hooks %+v, want the disconnect after the connect", got)
	}
}
