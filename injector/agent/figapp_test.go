package agent_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/source/fig"
)

// liveSession returns the client's run session that Fig still lists (not
// expired) and saw last.
func (f *fixture) liveSession(client string) figapi.RunSession {
	f.t.Helper()
	var last figapi.RunSession
	for _, s := range f.env.Fig.RunSessions(client) {
		if !s.Expired && s.LastSeen.After(last.LastSeen) {
			last = s
		}
	}
	return last
}

// component returns the named health component of a session.
func component(s figapi.RunSession, name string) (figapi.HealthComponent, bool) {
	if s.Health == nil {
		return figapi.HealthComponent{}, false
	}
	for _, c := range s.Health.Components {
		if c.Name == name {
			return c, true
		}
	}
	return figapi.HealthComponent{}, false
}

// TestFigSeesTheApplication: Fig's Clients page shows the application, not
// the agent — its version, the pod's host name (what the app's Fig.Client
// sends) and its health next to the agent's components — and FigVersion
// names fig-injector. The health is stable from poll to poll: Fig counts a
// change only when the app's health does change.
func TestFigSeesTheApplication(t *testing.T) {
	f := newFixture(t)
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Rotterdam"))) // a client in real use
	var healthy atomic.Bool
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("Unhealthy"))
			return
		}
		_, _ = w.Write([]byte("Healthy"))
	}))
	defer app.Close()
	f.cfg.Fig.ApplicationVersion = "2.4.1"
	f.cfg.Fig.AppHealthURL = app.URL + "/health"
	opts := f.options()
	opts.Version = "9.9.9"
	f.start(opts)

	f.eventually("the app's failing health in Fig", func() bool {
		c, ok := component(f.liveSession("OrderService"), "application")
		return ok && c.Status == figapi.Unhealthy
	})
	s := f.liveSession("OrderService")
	if s.ApplicationVersion != "2.4.1" || s.FigVersion != "fig-injector/9.9.9" || s.Hostname != fig.MachineName() {
		t.Errorf("Fig sees version %q, Fig version %q, host %q; want 2.4.1, fig-injector/9.9.9, %s",
			s.ApplicationVersion, s.FigVersion, s.Hostname, fig.MachineName())
	}
	if c, _ := component(s, "application"); c.Message != "the health endpoint answers HTTP 503" || s.Health.Status != figapi.Unhealthy {
		t.Errorf("application component %+v, overall %v; want Unhealthy with the HTTP status", c, s.Health.Status)
	}
	if _, ok := component(s, "fig"); !ok {
		t.Errorf("the agent's own components are missing: %+v", s.Health.Components)
	}

	healthy.Store(true)
	f.eventually("the app's health recovering in Fig", func() bool {
		c, ok := component(f.liveSession("OrderService"), "application")
		return ok && c.Status == figapi.Healthy && c.Message == "Healthy"
	})
	changes := f.liveSession("OrderService").HealthChanges
	statuses := f.env.Fig.Requests(figapi.RouteStatus)
	f.eventually("three more statuses", func() bool { return f.env.Fig.Requests(figapi.RouteStatus) >= statuses+3 })
	if got := f.liveSession("OrderService").HealthChanges; got != changes {
		t.Errorf("health changed %d times in three polls of a steady app, want 0:\n%s", got-changes, f.liveSession("OrderService").LastStatus)
	}
	if strings.Contains(string(f.liveSession("OrderService").LastStatus), app.URL) {
		t.Error("the status names the health URL")
	}
}

// TestFigRequestTimeoutIsTheConfiguredOne: a Fig slower than
// fig.requestTimeout (one that reads its Key Vault while answering) is a
// timeout naming the configured limit, retried like no answer; the file
// still comes once Fig answers in time.
func TestFigRequestTimeoutIsTheConfiguredOne(t *testing.T) {
	f := newFixture(t)
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Rotterdam")))
	f.cfg.Fig.RequestTimeout = config.Dur(time.Second)
	f.env.Fig.Inject(figapi.RouteSettings, figapi.Fault{Delay: 3 * time.Second, Times: 1})
	a, err := agent.New(context.Background(), f.cfg, f.options())
	must(t, err)
	must(t, a.RenderOnce(context.Background()))
	if !strings.Contains(f.logs.String(), "within 1s") {
		t.Errorf("no timeout at the configured 1s in the logs:\n%s", f.logs.String())
	}
	if got := f.key("Location"); got != "Rotterdam" {
		t.Errorf("Location = %q after the retry, want Rotterdam", got)
	}
}
