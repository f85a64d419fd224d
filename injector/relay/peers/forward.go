// Package peers shares wake-ups between relay replicas through the
// Kubernetes API, with no consensus of its own: the replicas find each
// other in the EndpointSlices of the relay's headless Service (Discovery),
// and a replica that receives a Fig web hook wakes its own subscribers and
// forwards the wake-up once to every ready peer (Forwarder), which wakes
// its own subscribers and never forwards again. A forward is not retried,
// like Fig's hooks: a lost one costs only time, since agents keep their
// own status poll.
//
// The same two routes carry the Key Vault side (relay/fleet): the replica
// holding the relay's Lease forwards what its list passes find
// (secretsChanged, vaultWatched, vaultUnwatched) on PeerPath, and every
// replica reports the vaults its own subscribers read on VaultsPath, so
// whichever replica holds the Lease lists their union; the holder answers
// a report with the vaults' known states.
package peers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// PeerPath is the route a replica posts forwarded wake-ups to: a JSON
// array of wire.Event.
const PeerPath = "/v1/peer/wake"

// VaultsPath is the route a replica reports its subscribers' vaults to
// (VaultReport); the answer is a JSON array of wire.Event, the vault
// states the receiver knows as the Key Vault lister, else empty.
const VaultsPath = "/v1/peer/vaults"

// VaultReport is one replica's set of subscribed vaults (VaultKeys).
type VaultReport struct {
	Replica string   `json:"replica"`
	Vaults  []string `json:"vaults"`
}

// forwardTimeout bounds one forward.
const forwardTimeout = 5 * time.Second

// Sink is where wake-ups land locally (the hub).
type Sink interface {
	SettingsChanged(client, instance string, names []string) int
}

// Forwarder is a hook.Sink: it wakes the local subscribers, then forwards
// to the peers.
type Forwarder struct {
	Local Sink
	// Peers returns the other replicas' base URLs (https://ip:port), never
	// this replica's own.
	Peers func() []string
	// HTTPClient must verify the peers' certificate (the relay Service's
	// name: every replica serves the same certificate).
	HTTPClient *http.Client
	// TokenFile is this replica's projected service-account token for the
	// relay's audience; peers accept it only from the relay's own
	// ServiceAccount.
	TokenFile string
	Log       *slog.Logger
}

// SettingsChanged implements hook.Sink. Forwards run in the background,
// each bounded by forwardTimeout, so a dead peer never delays Fig's queue.
func (f *Forwarder) SettingsChanged(client, instance string, names []string) int {
	n := f.Local.SettingsChanged(client, instance, names)
	f.Wake(wire.Event{Type: wire.TypeSettingsChanged, Client: client, Instance: instance, Settings: names})
	return n
}

// Wake forwards events to every peer in the background (never locally).
func (f *Forwarder) Wake(events ...wire.Event) {
	body, _ := json.Marshal(events)
	token, ok := f.token()
	if !ok {
		return
	}
	for _, peer := range f.Peers() {
		go func() { _, _ = f.post(peer, PeerPath, token, body) }()
	}
}

// ReportVaults sends this replica's vaults to every peer at once and
// returns the vault states they answer with (only the Lease holder knows
// any). It waits for the answers, at most forwardTimeout.
func (f *Forwarder) ReportVaults(replica string, vaults []string) []wire.Event {
	body, _ := json.Marshal(VaultReport{Replica: replica, Vaults: vaults})
	token, ok := f.token()
	if !ok {
		return nil
	}
	var mu sync.Mutex
	var out []wire.Event
	var wg sync.WaitGroup
	for _, peer := range f.Peers() {
		wg.Go(func() {
			answer, err := f.post(peer, VaultsPath, token, body)
			var evs []wire.Event
			if err != nil || json.Unmarshal(answer, &evs) != nil {
				return
			}
			mu.Lock()
			out = append(out, evs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

func (f *Forwarder) token() (string, bool) {
	token, err := os.ReadFile(f.TokenFile)
	if err != nil {
		f.Log.Warn("not forwarding to peers: no token", "error", err)
		return "", false
	}
	return strings.TrimSpace(string(token)), true
}

// post sends body to one peer's route and returns the answer's body.
func (f *Forwarder) post(peer, route, token string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), forwardTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, peer+route, bytes.NewReader(body))
	if err != nil {
		f.Log.Warn("forward to peer failed", "peer", peer, "error", err)
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.HTTPClient.Do(req)
	if err != nil {
		f.Log.Warn("forward to peer failed (not retried; agents' polls still find the change)", "peer", peer, "route", route, "error", err)
		return nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode != http.StatusOK {
		f.Log.Warn("peer refused a forward", "peer", peer, "route", route, "status", resp.StatusCode)
		return nil, fmt.Errorf("peer answered %d", resp.StatusCode)
	}
	return answer, err
}

// maxAnswer bounds a peer's answer (vault states of one replica's vaults).
const maxAnswer = 1 << 20
