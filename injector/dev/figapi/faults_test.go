package figapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

func TestFaults(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	e.srv.Inject(figapi.RouteSettings, figapi.Fault{Status: 503, Times: 2})
	e.srv.Inject(figapi.RouteSettings, figapi.Fault{Status: 429, RetryAfter: "120", Times: 1})
	e.srv.Inject(figapi.RouteStatus, figapi.Fault{Status: 500, Body: `{"custom":true}`})

	for range 2 {
		figError(t, e.settings("MyApp", "", secret), 503, "Injected fault: Service Unavailable")
	}
	r := e.settings("MyApp", "", secret)
	if r.status != 429 || r.header.Get("Retry-After") != "120" || r.body != "Rate limit exceeded. Please try again later." {
		t.Errorf("429 fault: %d %q %q", r.status, r.header.Get("Retry-After"), r.body)
	}
	if r := e.settings("MyApp", "", secret); r.status != 200 {
		t.Errorf("after the faults ran out: %d", r.status)
	}
	for range 3 {
		if r := e.status("MyApp", "", secret, e.clock.Now()); r.status != 500 || r.body != `{"custom":true}` {
			t.Errorf("unlimited status fault: %d %s", r.status, r.body)
		}
	}
	e.srv.ClearFaults()
	if r := e.status("MyApp", "", secret, e.clock.Now()); r.status != 200 {
		t.Errorf("after ClearFaults: %d", r.status)
	}
	if got := []int{e.srv.Requests(figapi.RouteSettings), e.srv.Requests(figapi.RouteStatus), e.srv.Requests(figapi.RouteRegister)}; !cmp.Equal(got, []int{4, 4, 0}) {
		t.Errorf("requests settings/status/register = %v, want [4 4 0]", got)
	}
	// Faults did not create run sessions: only the last status did.
	if rs := e.srv.RunSessions("MyApp"); len(rs) != 1 || rs[0].Statuses != 1 {
		t.Errorf("run sessions = %+v", rs)
	}
}

func TestFaultDelay(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	e.srv.Inject(figapi.RouteHealth, figapi.Fault{Delay: 50 * time.Millisecond, Times: 1})
	start := time.Now()
	if r := e.do(http.MethodGet, "/_health", nil, nil); r.status != 200 {
		t.Fatalf("delayed health: %d", r.status)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered after %v, want at least 50ms", d)
	}
	// A client that gives up ends the delay.
	e.srv.Inject(figapi.RouteHealth, figapi.Fault{Delay: time.Hour, Status: 503})
	c := &http.Client{Timeout: 50 * time.Millisecond}
	if _, err := c.Get(e.url + "/_health"); err == nil {
		t.Error("a one-hour delay answered within 50ms")
	}
}

func TestObserveRedactsTheSecret(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	e.settings("MyApp", "instance=Prod", secret)
	e.register(secret, fixtureB)
	evs := e.Events()
	if len(evs) != 2 {
		t.Fatalf("events = %+v", evs)
	}
	ev := evs[0]
	if ev.Route != figapi.RouteSettings || ev.Method != "GET" || ev.Path != "/clients/MyApp/settings" ||
		ev.RawQuery != "runSessionId="+runID+"&instance=Prod" || ev.Client != "MyApp" || ev.Status != 200 || ev.Fault {
		t.Errorf("settings event = %+v", ev)
	}
	if got := ev.Header.Get("clientSecret"); got != figapi.Redacted {
		t.Errorf("secret header in event = %q", got)
	}
	if got := ev.Header.Get("Fig_Hostname"); got != "pod-1" {
		t.Errorf("Fig_Hostname in event = %q", got)
	}
	if got := evs[1].Header.Get("ClientSecret"); got != figapi.Redacted {
		t.Errorf("register secret header in event = %q", got)
	}
	for _, ev := range evs {
		for _, vs := range ev.Header {
			for _, v := range vs {
				if strings.Contains(v, secret) {
					t.Errorf("event header leaks the secret: %v", ev.Header)
				}
			}
		}
	}
}
