package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/peers"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// relayServiceAccount accepts only the relay's own token, as TokenReview
// with auth.Kubernetes.Peer does (tested in relay/auth).
type relayServiceAccount struct{}

func (relayServiceAccount) AuthenticatePeer(_ context.Context, token string) error {
	if token != "relay-token" {
		return fmt.Errorf("%w: not the relay's service account", auth.ErrForbidden)
	}
	return nil
}

type replica struct {
	hub *hub.Hub
	srv *httptest.Server
}

// startReplica runs one relay replica whose hooks are forwarded to peers().
func startReplica(t *testing.T, peerList func() []string, peerClient *http.Client) *replica {
	t.Helper()
	h := hub.New(nil)
	verifier := testutil.HookVerifier(t, hookSecret)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("relay-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	fwd := &peers.Forwarder{Local: h, Peers: peerList, HTTPClient: peerClient, TokenFile: tokenFile, Log: log}
	srv := httptest.NewTLSServer(server.New(server.Options{Hub: h, Authorizer: devenv.RelayPod{}, Peers: relayServiceAccount{}, MinSpacing: -1,
		Hooks: &hook.Handler{Verifier: verifier, Sink: fwd, Log: log}}))
	t.Cleanup(srv.Close)
	return &replica{hub: h, srv: srv}
}

// TestHookReachesSubscribersOfEveryReplica: Fig's hook reaches replica A;
// a subscriber connected to replica B is woken through A's forward.
func TestHookReachesSubscribersOfEveryReplica(t *testing.T) {
	b := startReplica(t, func() []string { return nil }, nil)
	a := startReplica(t, func() []string { return []string{b.srv.URL} }, b.srv.Client())

	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+wire.SubscribePath, strings.NewReader(`{"client":"OrderService"}`))
	req.Header.Set("Authorization", "Bearer pod-token")
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Scan() // hello

	if status := testutil.PostSettingChanged(t, a.srv.Client(), a.srv.URL+"/fig/", "Secret "+hookSecret, "OrderService", "Location"); status != 200 {
		t.Fatalf("hook to A: status %d", status)
	}
	if !lines.Scan() {
		t.Fatalf("stream ended: %v", lines.Err())
	}
	var ev wire.Event
	if err := json.Unmarshal(lines.Bytes(), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != wire.TypeSettingsChanged || ev.Client != "OrderService" || len(ev.Settings) != 1 || ev.Settings[0] != "Location" {
		t.Errorf("subscriber of B got %+v, want OrderService's Location", ev)
	}
}

// TestPeerForwardsNeedTheRelaysIdentity: a forged forward (a pod's token)
// is refused and wakes nobody.
func TestPeerForwardsNeedTheRelaysIdentity(t *testing.T) {
	b := startReplica(t, func() []string { return nil }, nil)
	sub := b.hub.Subscribe(wire.Subscription{Client: "OrderService"})
	for _, tc := range []struct {
		token string
		want  int
	}{{"pod-token", 403}, {"relay-token", 200}} {
		req, _ := http.NewRequest(http.MethodPost, b.srv.URL+peers.PeerPath, strings.NewReader(`[{"type":"settingsChanged","client":"OrderService","settings":["Location"]}]`))
		req.Header.Set("Authorization", "Bearer "+tc.token)
		resp, err := b.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.token, resp.StatusCode, tc.want)
		}
		if got := len(sub.Take()); (got > 0) != (tc.want == 200) {
			t.Errorf("%s: %d wake-ups", tc.token, got)
		}
	}
}
