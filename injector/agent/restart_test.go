package agent_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

// startApp runs a copy of sleep under a name of its own (so parallel tests
// never signal each other's) and returns the name and the process's end.
func startApp(t *testing.T) (string, <-chan error) {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("figapp%06d", rand.IntN(1e6))
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return name, done
}

// TestFigRestartSignalsTheAppAndStartsANewRunSession is a restart as Fig
// means it: the admin's request for a setting that needs one (Location was
// changed; Fig's session keeps answering restartRequested) makes the agent
// fetch, write the new value, SIGTERM the app's main process (the kubelet
// would start it again) and report from a new run session. Fig then answers
// the new session without a restart, and the old one stays flagged until
// it expires.
func TestFigRestartSignalsTheAppAndStartsANewRunSession(t *testing.T) {
	f := newFixture(t)
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Rotterdam"))) // a client in real use
	name, exited := startApp(t)
	f.cfg.Fig.Restart = &config.Restart{Signal: &config.SignalNotify{Process: name, Name: "SIGTERM"}}
	f.start(f.options())
	// The first status, before the poller runs (an init container's only
	// one), cannot restart; the running agent's can.
	f.eventually("a status from the running agent", func() bool { return f.liveSession("OrderService").SupportsRestart })
	old := f.liveSession("OrderService")
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Oslo")))
	must(t, f.env.Fig.RequestRestart(old.ID))

	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
			t.Fatalf("the app ended with %v, want SIGTERM", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the app was not signalled")
	}
	if got := f.key("Location"); got != "Oslo" {
		t.Errorf("when the app was signalled the file said Location = %q, want the new Oslo", got)
	}
	f.eventually("a new run session", func() bool {
		s := f.liveSession("OrderService")
		return s.ID != old.ID && s.Statuses > 0
	})
	for _, s := range f.env.Fig.RunSessions("OrderService") {
		switch {
		case s.ID == old.ID && !s.RestartRequested:
			t.Error("Fig cleared the old session's restart; it keeps it until the session expires")
		case s.ID != old.ID && (s.RestartRequested || !s.SupportsRestart):
			t.Errorf("new session: restartRequested %v, supportsRestart %v; want false, true", s.RestartRequested, s.SupportsRestart)
		}
	}
	if strings.Contains(f.logs.String(), "restart action failed") {
		t.Errorf("the restart action ran more than once:\n%s", f.logs.String())
	}
}

// TestFigRestartOverHTTPIsRetriedUntilItWorks: an app that implements a
// restart endpoint is called; when the call fails the session is kept and
// the agent tries again at the next poll (Fig keeps asking), once it works
// the agent reports from a new run session and calls no more.
func TestFigRestartOverHTTPIsRetriedUntilItWorks(t *testing.T) {
	f := newFixture(t)
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Rotterdam")))
	var calls atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/restart" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusConflict) // not retried within the call
		}
	}))
	defer app.Close()
	f.cfg.Fig.Restart = &config.Restart{HTTP: &config.HTTPNotify{URL: app.URL + "/restart"}}
	f.start(f.options())
	old := f.liveSession("OrderService")
	must(t, f.env.Fig.RequestRestart(old.ID))
	f.eventually("a new run session after the second call", func() bool {
		return calls.Load() == 2 && f.liveSession("OrderService").ID != old.ID
	})
	statuses := f.env.Fig.Requests(figapi.RouteStatus)
	f.eventually("two more Fig polls", func() bool { return f.env.Fig.Requests(figapi.RouteStatus) >= statuses+2 })
	if n := calls.Load(); n != 2 {
		t.Errorf("restart endpoint called %d times, want 2 (one failure, one success)", n)
	}
}

// TestInitAgentDoesNotOfferRestart: an agent that renders once (an init
// container) cannot act on a restart, so its status says so even with a
// restart action configured.
func TestInitAgentDoesNotOfferRestart(t *testing.T) {
	f := newFixture(t)
	f.cfg.Fig.Restart = &config.Restart{HTTP: &config.HTTPNotify{URL: "http://127.0.0.1:1/restart"}}
	a, err := agent.New(context.Background(), f.cfg, f.options())
	must(t, err)
	must(t, a.RenderOnce(context.Background()))
	sessions := f.env.Fig.RunSessions("OrderService")
	if len(sessions) != 1 || sessions[0].SupportsRestart {
		t.Fatalf("Fig sees %+v, want one session that does not support restart", sessions)
	}
}
