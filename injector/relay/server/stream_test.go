package server_test

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/subscribe"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// TestIdleStreamOutlivesTheWriteTimeoutOverHTTP2: over HTTP/2, which the
// agent and the relay negotiate, a subscription stays open while it is idle
// for many write timeouts, and the next wake-up arrives on it. (Found on the
// real node: the deadline of each write stayed armed, Go's HTTP/2 server
// resets a stream whose deadline passes, so every stream died 10 s after its
// last write and a hook arriving while the agent reconnected was lost.)
func TestIdleStreamOutlivesTheWriteTimeoutOverHTTP2(t *testing.T) {
	const writeTimeout = 50 * time.Millisecond
	h := hub.New(nil)
	relay := httptest.NewUnstartedServer(server.New(server.Options{Hub: h, Authorizer: devenv.RelayPod{},
		WriteTimeout: writeTimeout, Heartbeat: time.Minute}))
	relay.EnableHTTP2 = true
	relay.StartTLS()
	defer relay.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var lost atomic.Int32
	events := make(chan wire.Event, 10)
	go func() {
		_ = subscribe.Run(ctx, subscribe.Options{URL: relay.URL, TokenFile: devenv.RelayTokenFile(t), HTTPClient: relay.Client(),
			Subscription: wire.Subscription{Client: "OrderService"},
			OnEvent:      func(ev wire.Event) { events <- ev },
			OnState: func(connected bool, _ error) {
				if !connected {
					lost.Add(1)
				}
			}})
	}()
	await := func(typ string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case ev := <-events:
				if ev.Type == typ {
					return
				}
			case <-deadline:
				t.Fatalf("no %s event within 10 s (streams lost: %d)", typ, lost.Load())
			}
		}
	}
	await(wire.TypeHello)
	testutil.Never(t, "the idle stream was lost", 10*writeTimeout, func() bool { return lost.Load() > 0 })
	h.SettingsChanged("OrderService", "", []string{"Location"})
	await(wire.TypeSettingsChanged)
	if n := lost.Load(); n > 0 {
		t.Errorf("the stream was lost %d times", n)
	}
}
