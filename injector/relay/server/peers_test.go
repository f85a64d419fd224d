package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// fleetStub answers vault reports as a Lease holder watching every vault.
type fleetStub struct{ reports []string }

func (f *fleetStub) PeerVaults(replica string, vaults []string) []wire.Event {
	f.reports = append(f.reports, replica)
	var out []wire.Event
	for _, v := range vaults {
		out = append(out, wire.Event{Type: wire.TypeVaultWatched, Vault: v, Interval: "1m0s"})
	}
	return out
}

// TestPeerVaultReports: a report needs the relay's identity, names its
// replica, and is answered with the states as a JSON array.
func TestPeerVaultReports(t *testing.T) {
	f := &fleetStub{}
	srv := httptest.NewTLSServer(server.New(server.Options{Hub: hub.New(nil), Authorizer: devenv.RelayPod{}, Peers: relayServiceAccount{}, Fleet: f}))
	defer srv.Close()
	const kv = "https://orders-kv.vault.azure.net/"
	for _, tc := range []struct {
		name, token, body string
		want              int
		answer            string
	}{
		{"a pod's token", "pod-token", `{"replica":"relay-b","vaults":["` + kv + `"]}`, 403, ""},
		{"no replica", "relay-token", `{"vaults":["` + kv + `"]}`, 400, ""},
		{"a replica's report", "relay-token", `{"replica":"relay-b","vaults":["` + kv + `"]}`, 200,
			`[{"type":"vaultWatched","vault":"` + kv + `","interval":"1m0s"}]`},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+peers.VaultsPath, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+tc.token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || (tc.answer != "" && strings.TrimSpace(string(body)) != tc.answer) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, body, tc.want, tc.answer)
		}
	}
	if len(f.reports) != 1 || f.reports[0] != "relay-b" {
		t.Errorf("reports taken: %v, want relay-b's one", f.reports)
	}
}
