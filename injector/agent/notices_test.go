package agent_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

// hangingApp is an application whose reload endpoint hangs until released
// (or the agent gives up on the request): it records every call, how many
// are in flight at once, and signals when the first one has arrived.
type hangingApp struct {
	*httptest.Server
	release  chan struct{}
	entered  chan struct{} // closed by the first call
	first    atomic.Bool
	calls    atomic.Int32
	active   atomic.Int32
	maxAlive atomic.Int32
}

func newHangingApp(t *testing.T) *hangingApp {
	h := &hangingApp{release: make(chan struct{}), entered: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := h.active.Add(1)
		defer h.active.Add(-1)
		for m := h.maxAlive.Load(); n > m && !h.maxAlive.CompareAndSwap(m, n); m = h.maxAlive.Load() {
		}
		h.calls.Add(1)
		if h.first.CompareAndSwap(false, true) {
			close(h.entered)
		}
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(h.Close)
	return h
}

// TestHangingNotifyTargetDoesNotDelayTheFile: while the app's reload
// endpoint hangs on the first notification, a second Fig change still
// reaches the file (it took 18.7 s when notify ran on the write path). The
// notifications are never concurrent, and the changes made while one hung
// are told in one more notification once it returns.
func TestHangingNotifyTargetDoesNotDelayTheFile(t *testing.T) {
	f := newFixture(t)
	app := newHangingApp(t)
	f.cfg.Notify.HTTP = &config.HTTPNotify{URL: app.URL + "/reload"}
	f.start(f.options())

	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Delft")))
	f.eventually("the first change in the file", func() bool { return f.key("Location") == "Delft" })
	<-app.entered // the first notification hangs now
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Gouda")))
	f.eventually("the second change in the file", func() bool { return f.key("Location") == "Gouda" })
	if app.active.Load() == 0 {
		t.Fatal("the first notification ended before the second change was written: the test proves nothing")
	}
	close(app.release)
	f.eventually("the coalesced notification", func() bool { return app.calls.Load() >= 2 && app.active.Load() == 0 })
	if m := app.maxAlive.Load(); m != 1 {
		t.Errorf("%d notifications were in flight at once, want at most 1", m)
	}
}
