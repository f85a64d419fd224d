package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// podState is what the fake API server says about the subscriber's pod.
type podState int32

const (
	podRunning   podState = iota
	podDeleted            // the pod read answers 404
	apiDown               // the API server cannot answer
	vaultRemoved          // the pod's configuration no longer names the vault
)

// switchingPod authorises orders-1 as auth.Kubernetes would in each state.
type switchingPod struct{ state atomic.Int32 }

func (p *switchingPod) Authorize(_ context.Context, _ string, want wire.Subscription) (auth.Identity, wire.Subscription, error) {
	id := auth.Identity{Namespace: "shop", Pod: "orders-1"}
	switch podState(p.state.Load()) {
	case podDeleted:
		return id, wire.Subscription{}, fmt.Errorf("%w: pod shop/orders-1 no longer exists", auth.ErrUnauthenticated)
	case apiDown:
		return id, wire.Subscription{}, errors.New("token review failed: connection refused")
	case vaultRemoved:
		return id, wire.Subscription{Client: want.Client}, nil
	}
	return id, want, nil
}

// TestOpenStreamsAreReauthorized: an open stream is authorised again
// every Reauthorize. A pod that is gone, or whose configuration now allows
// less, loses its stream (and its place in the hub); an API server that
// cannot answer takes nothing away.
func TestOpenStreamsAreReauthorized(t *testing.T) {
	for _, tc := range []struct {
		name   string
		state  podState
		closed bool
	}{
		{"pod deleted", podDeleted, true},
		{"vault no longer allowed", vaultRemoved, true},
		{"API server down", apiDown, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &switchingPod{}
			h := hub.New(nil)
			logs := &testutil.Buffer{}
			relay := httptest.NewTLSServer(server.New(server.Options{Hub: h, Authorizer: pod, Reauthorize: 20 * time.Millisecond,
				Log: slog.New(slog.NewTextHandler(logs, nil))}))
			t.Cleanup(relay.Close)
			lines := openStream(t, relay, `{"Client":"OrderService","Vaults":["https://orders-kv.vault.azure.net/"]}`)
			if l := <-lines; !strings.Contains(l, wire.TypeHello) {
				t.Fatalf("first line %q, want hello", l)
			}
			testutil.Never(t, "the stream closing while the pod runs", 200*time.Millisecond, func() bool { return streamClosed(lines) })
			pod.state.Store(int32(tc.state))
			if !tc.closed {
				testutil.Never(t, "the stream closing", 200*time.Millisecond, func() bool { return streamClosed(lines) })
				if h.Subscribers() != 1 {
					t.Errorf("%d subscribers, want the one kept", h.Subscribers())
				}
				return
			}
			testutil.Eventually(t, "the stream closed", 5*time.Second, func() bool { return streamClosed(lines) })
			testutil.Eventually(t, "the subscriber gone from the hub", 5*time.Second, func() bool { return h.Subscribers() == 0 })
			if !strings.Contains(logs.String(), "subscription revoked") {
				t.Errorf("the log does not say why the stream ended:\n%s", logs)
			}
		})
	}
}

// openStream subscribes with body and returns the stream's lines; the
// channel is closed when the relay ends the stream.
func openStream(t *testing.T, relay *httptest.Server, body string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, relay.URL+wire.SubscribePath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer token-of-orders-1")
	resp, err := relay.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("subscription: %s", resp.Status)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}

// streamClosed drains lines and reports whether the stream has ended.
func streamClosed(lines <-chan string) bool {
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				return true
			}
		default:
			return false
		}
	}
}
