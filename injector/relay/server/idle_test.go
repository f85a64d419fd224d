package server_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/subscribe"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// TestIdleHTTP2StreamStaysUp: an HTTP/2 stream with nothing to say between
// heartbeats is not cut. (A write deadline left armed after a line reset
// every idle HTTP/2 stream 10 s after its last write, so subscribers fell
// back to polling and reconnected every 10 s.) The heartbeat is longer
// than the window, so only the hello is ever written.
func TestIdleHTTP2StreamStaysUp(t *testing.T) {
	h := hub.New(nil)
	relay := httptest.NewUnstartedServer(server.New(server.Options{Hub: h, Authorizer: devenv.RelayPod{}, Heartbeat: time.Minute,
		Hooks: &hook.Handler{Verifier: testutil.HookVerifier(t, hookSecret), Sink: h, Log: slog.New(slog.DiscardHandler)}}))
	relay.EnableHTTP2 = true
	relay.StartTLS()
	defer relay.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var up, lost atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- subscribe.Run(ctx, subscribe.Options{URL: relay.URL, TokenFile: devenv.RelayTokenFile(t), HTTPClient: relay.Client(),
			ReadTimeout: time.Minute, OnState: func(connected bool, _ error) {
				if connected {
					up.Add(1)
				} else {
					lost.Add(1)
				}
			}})
	}()
	defer func() { cancel(); <-done }()
	testutil.Eventually(t, "the subscription", 10*time.Second, func() bool { return up.Load() == 1 })
	testutil.Never(t, "the idle stream cut", 12*time.Second, func() bool { return lost.Load() > 0 })
}
