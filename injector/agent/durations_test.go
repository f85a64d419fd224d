package agent_test

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	kvemu "github.com/fig-injector/fig-injector/injector/dev/keyvault"
)

// hostileFig is a Fig API in test code that asks for absurd durations: a
// pollIntervalMs of 2e12 in every status reply and, once armed, either
// drops status connections (a network failure) or throttles the settings
// fetch with Retry-After: 1000000000.
type hostileFig struct {
	dropStatus, throttle, armed atomic.Bool
	statuses                    atomic.Int64
}

func (h *hostileFig) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	switch {
	case strings.HasPrefix(r.URL.Path, "/statuses/"):
		h.statuses.Add(1)
		if h.armed.Load() && h.dropStatus.Load() {
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
			return
		}
		_, _ = io.WriteString(w, `{"SettingUpdateAvailable":`+boolText(h.armed.Load())+`,"PollIntervalMs":2e12,"AllowOfflineSettings":true,"RestartRequested":false}`)
	case strings.HasPrefix(r.URL.Path, "/clients/"):
		if h.armed.Load() && h.throttle.Load() {
			w.Header().Set("Retry-After", "1000000000")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		h.armed.Store(true) // everything after the first render is hostile
		_, _ = io.WriteString(w, `[]`)
	default:
		http.NotFound(w, r)
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// useHostileFig points the fixture's agent at h instead of the emulator.
func (f *fixture) useHostileFig(h http.Handler) {
	f.t.Helper()
	tc, err := f.env.CA.TLSConfig()
	if err != nil {
		f.t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = tc
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	f.t.Cleanup(srv.Close)
	f.cfg.Fig.APIURI = srv.URL
}

// retryIn waits for the first log line with message msg and returns its
// retry_in.
func (f *fixture) retryIn(msg string) time.Duration {
	f.t.Helper()
	var line map[string]any
	f.eventually("a log line "+msg, func() bool {
		for l := range strings.Lines(f.logs.String()) {
			if strings.Contains(l, `"msg":"`+msg) {
				return json.Unmarshal([]byte(l), &line) == nil
			}
		}
		return false
	})
	s, _ := line["retry_in"].(string)
	d, err := time.ParseDuration(s)
	if err != nil {
		f.t.Fatalf("log line %v has no retry_in duration: %v", line, err)
	}
	return d
}

// TestServerDurationsCannotStopOrSpinPolling is issue 12 item 5: Fig's
// pollIntervalMs of 2e12 made the 5× stretch after a network failure
// overflow (the agent spun), and a Retry-After of a billion seconds stopped
// polling for ever. Every server-supplied wait is now bounded.
func TestServerDurationsCannotStopOrSpinPolling(t *testing.T) {
	t.Run("Fig unreachable after asking for 2e12 ms", func(t *testing.T) {
		f := newFixture(t)
		h := &hostileFig{}
		h.dropStatus.Store(true)
		f.useHostileFig(h)
		f.start(f.options())
		if got, want := f.retryIn("Fig unreachable"), 5*agent.MaxFigPollInterval; got != want {
			t.Errorf("waits %v after a network failure, want 5 × the %v cap = %v", got, agent.MaxFigPollInterval, want)
		}
	})
	t.Run("Fig throttling with Retry-After: 1000000000", func(t *testing.T) {
		f := newFixture(t)
		h := &hostileFig{}
		h.throttle.Store(true)
		f.useHostileFig(h)
		f.start(f.options())
		// The interval is clamped to an hour, which then bounds the wait.
		if got := f.retryIn("Fig settings fetch failed"); got <= 0 || got > agent.MaxFigPollInterval {
			t.Errorf("waits %v after Retry-After: 1000000000, want at most %v", got, agent.MaxFigPollInterval)
		}
	})
	t.Run("Key Vault throttling with Retry-After: 1000000000", func(t *testing.T) {
		f := newFixture(t)
		f.start(f.options())
		for _, route := range []string{kvemu.RouteGet, kvemu.RouteList} {
			f.env.Vaults["orders-kv"].Inject(route, kvemu.Fault{Status: http.StatusTooManyRequests, RetryAfter: 1e9 * time.Second})
		}
		if got := f.retryIn("Key Vault poll failed"); got <= 0 || got > agent.RetryAfterCap {
			t.Errorf("waits %v after Retry-After: 1000000000 with a 1 s interval, want at most %v", got, agent.RetryAfterCap)
		}
	})
}
