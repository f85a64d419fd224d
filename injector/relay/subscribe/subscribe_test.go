package subscribe_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/subscribe"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

const (
	kv         = "https://orders-kv.vault.azure.net/"
	hookSecret = "0b6f8e2a-4c1d-4e9b-8a7f-3d2c1b0a9e8f"
)

// tokens is the authoriser's view of the cluster: orders' token may hear
// about OrderService and its vault.
type tokens struct{}

func (tokens) Authorize(_ context.Context, token string, want wire.Subscription) (auth.Identity, wire.Subscription, error) {
	if token != "orders-token" {
		return auth.Identity{}, wire.Subscription{}, fmt.Errorf("%w: token not valid for audience", auth.ErrUnauthenticated)
	}
	if want.Client != "OrderService" {
		return auth.Identity{}, wire.Subscription{}, auth.ErrForbidden
	}
	return auth.Identity{Namespace: "shop", Pod: "orders-1"}, wire.Subscription{Client: want.Client, Vaults: []string{kv}}, nil
}

type relay struct {
	hub *hub.Hub
	srv *httptest.Server
}

// startRelay runs the relay's real handler on a TLS listener.
func startRelay(t *testing.T, heartbeat time.Duration) *relay {
	t.Helper()
	h := hub.New(nil)
	v := testutil.HookVerifier(t, hookSecret)
	s := server.New(server.Options{Hub: h, Authorizer: tokens{}, Heartbeat: heartbeat, MinSpacing: -1,
		Hooks: &hook.Handler{Verifier: v, Sink: h, Log: discard()}})
	srv := httptest.NewUnstartedServer(s)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &relay{hub: h, srv: srv}
}

// subscriber runs subscribe.Run and exposes what it reports.
type subscriber struct {
	events chan wire.Event
	states chan error // nil: connected
	done   chan error
}

func startSubscriber(t *testing.T, r *relay, token string, mod func(*subscribe.Options)) *subscriber {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &subscriber{events: make(chan wire.Event, 100), states: make(chan error, 100), done: make(chan error, 1)}
	opts := subscribe.Options{URL: r.srv.URL, TokenFile: tokenFile, HTTPClient: r.srv.Client(),
		Subscription: wire.Subscription{Client: "OrderService", Vaults: []string{kv}},
		MinBackoff:   time.Millisecond, MaxBackoff: 10 * time.Millisecond,
		OnEvent: func(ev wire.Event) { s.events <- ev },
		OnState: func(connected bool, err error) {
			if connected {
				s.states <- nil
			} else {
				s.states <- err
			}
		}}
	if mod != nil {
		mod(&opts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { s.done <- subscribe.Run(ctx, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-s.done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
	return s
}

func (s *subscriber) next(t *testing.T) wire.Event {
	t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
		return wire.Event{}
	}
}

func (s *subscriber) state(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.states:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no state change within 10 s")
		return nil
	}
}

func TestWakeUpsReachTheSubscriber(t *testing.T) {
	r := startRelay(t, time.Minute)
	s := startSubscriber(t, r, "orders-token", nil)
	if err := s.state(t); err != nil {
		t.Fatalf("not connected: %v", err)
	}
	if diff := cmp.Diff(wire.Event{Type: wire.TypeHello, Client: "OrderService", Vaults: []string{kv}}, s.next(t)); diff != "" {
		t.Errorf("hello (-want +got):\n%s", diff)
	}
	r.hub.SettingsChanged("Billing", "", []string{"Rate"}) // not ours
	r.hub.SettingsChanged("OrderService", "", []string{"Location"})
	if diff := cmp.Diff(wire.Event{Type: wire.TypeSettingsChanged, Client: "OrderService", Settings: []string{"Location"}}, s.next(t)); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	r.hub.SecretsChanged(kv, []string{"db-password"})
	if diff := cmp.Diff(wire.Event{Type: wire.TypeSecretsChanged, Vault: kv, Secrets: []string{"db-password"}}, s.next(t)); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
}

// TestHookOverHTTPSWakesTheSubscriber posts a hook as Fig does to the
// relay's /fig/ route and expects the subscriber to hear about it.
func TestHookOverHTTPSWakesTheSubscriber(t *testing.T) {
	r := startRelay(t, time.Minute)
	s := startSubscriber(t, r, "orders-token", nil)
	if err := s.state(t); err != nil {
		t.Fatal(err)
	}
	s.next(t) // hello
	for _, tc := range []struct {
		auth string
		want int
	}{{"Secret wrong", 401}, {"Secret " + hookSecret, 200}} {
		if got := testutil.PostSettingChanged(t, r.srv.Client(), r.srv.URL+"/fig/", tc.auth, "OrderService", "Location"); got != tc.want {
			t.Errorf("%s…: status %d, want %d", tc.auth[:8], got, tc.want)
		}
	}
	if got := s.next(t); got.Type != wire.TypeSettingsChanged || got.Client != "OrderService" {
		t.Errorf("got %+v, want OrderService's settingsChanged", got)
	}
	select {
	case ev := <-s.events:
		t.Errorf("the refused hook woke the subscriber too: %+v", ev)
	default:
	}
}

func TestRefusalsAreReportedAndRetried(t *testing.T) {
	r := startRelay(t, time.Minute)
	tests := []struct {
		name, token, client string
		want                int
	}{
		{"token for another audience", "api-server-token", "OrderService", 401},
		{"another client", "orders-token", "Billing", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSubscriber(t, r, tt.token, func(o *subscribe.Options) { o.Subscription.Client = tt.client })
			for range 2 { // refused, then refused again after the backoff
				var refused *subscribe.RefusedError
				if err := s.state(t); !errors.As(err, &refused) || refused.Status != tt.want {
					t.Fatalf("state %v, want a %d refusal", err, tt.want)
				}
				if strings.Contains(refused.Reason, tt.token) {
					t.Errorf("the refusal shows the token: %q", refused.Reason)
				}
			}
		})
	}
}

// TestReconnectsAfterTheRelayDropsIt: a lost connection is reported and the
// subscription comes back by itself.
func TestReconnectsAfterTheRelayDropsIt(t *testing.T) {
	r := startRelay(t, time.Minute)
	s := startSubscriber(t, r, "orders-token", nil)
	if err := s.state(t); err != nil {
		t.Fatal(err)
	}
	s.next(t)
	r.srv.CloseClientConnections()
	if err := s.state(t); err == nil {
		t.Fatal("the lost connection was not reported")
	}
	if err := s.state(t); err != nil {
		t.Fatalf("not reconnected: %v", err)
	}
	s.next(t) // a new hello
	r.hub.SettingsChanged("OrderService", "", []string{"Location"})
	if got := s.next(t); got.Type != wire.TypeSettingsChanged {
		t.Errorf("after reconnecting: %+v", got)
	}
}

// TestSilentRelayIsDetected: a relay that stops sending (not even
// heartbeats) is treated as gone after ReadTimeout.
func TestSilentRelayIsDetected(t *testing.T) {
	r := startRelay(t, time.Hour)
	s := startSubscriber(t, r, "orders-token", func(o *subscribe.Options) { o.ReadTimeout = 200 * time.Millisecond })
	if err := s.state(t); err != nil {
		t.Fatal(err)
	}
	if err := s.state(t); err == nil || !strings.Contains(err.Error(), "no heartbeat") {
		t.Fatalf("state %v, want no heartbeat", err)
	}
}

// TestQuietStreamCarriesHeartbeats reads the stream raw: after the hello,
// a quiet relay writes heartbeat lines.
func TestQuietStreamCarriesHeartbeats(t *testing.T) {
	r := startRelay(t, 20*time.Millisecond)
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+wire.SubscribePath, strings.NewReader(`{"client":"OrderService"}`))
	req.Header.Set("Authorization", "Bearer orders-token")
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != wire.ContentType {
		t.Errorf("Content-Type %q, want %q", ct, wire.ContentType)
	}
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	for len(lines) < 3 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	want := []string{`{"type":"hello","client":"OrderService","vaults":["` + kv + `"]}`, `{"type":"heartbeat"}`, `{"type":"heartbeat"}`}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestUpdateResubscribesAtOnce: a new subscription replaces the open
// stream with a new one at once (a new hello), reported as connected
// again with no disconnection in between; the relay then holds only the
// new one.
func TestUpdateResubscribesAtOnce(t *testing.T) {
	r := startRelay(t, time.Minute)
	update := make(chan wire.Subscription)
	s := startSubscriber(t, r, "orders-token", func(o *subscribe.Options) {
		o.Subscription.Vaults = nil
		o.Update = update
		o.MinBackoff, o.MaxBackoff = time.Hour, time.Hour // a reconnect after a loss would stall the test
	})
	if err := s.state(t); err != nil {
		t.Fatalf("not connected: %v", err)
	}
	if ev := s.next(t); ev.Type != wire.TypeHello {
		t.Fatalf("first event %+v, want hello", ev)
	}
	update <- wire.Subscription{Client: "OrderService", Vaults: []string{kv, "https://other-kv.vault.azure.net/"}}
	if err := s.state(t); err != nil {
		t.Fatalf("after the update: %v, want connected again without a loss", err)
	}
	if ev := s.next(t); ev.Type != wire.TypeHello {
		t.Fatalf("after the update %+v, want a new hello", ev)
	}
	testutil.Eventually(t, "the old stream gone at the relay", 10*time.Second, func() bool { return r.hub.Subscribers() == 1 })
}
