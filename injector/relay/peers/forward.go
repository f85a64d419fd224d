// Package peers shares wake-ups between relay replicas through the
// Kubernetes API, with no consensus of its own: the replicas find each
// other in the EndpointSlices of the relay's headless Service (Discovery),
// and a replica that receives a Fig web hook wakes its own subscribers and
// forwards the wake-up once to every ready peer (Forwarder), which wakes
// its own subscribers and never forwards again. A forward is not retried,
// like Fig's hooks: a lost one costs only time, since agents keep their
// own status poll.
package peers

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// PeerPath is the route a replica posts forwarded wake-ups to.
const PeerPath = "/v1/peer/wake"

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
	body, _ := json.Marshal(wire.Event{Type: wire.TypeSettingsChanged, Client: client, Instance: instance, Settings: names})
	token, err := os.ReadFile(f.TokenFile)
	if err != nil {
		f.Log.Warn("not forwarding to peers: no token", "error", err)
		return n
	}
	for _, peer := range f.Peers() {
		go f.forward(peer, strings.TrimSpace(string(token)), body)
	}
	return n
}

func (f *Forwarder) forward(peer, token string, body []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), forwardTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, peer+PeerPath, bytes.NewReader(body))
	if err != nil {
		f.Log.Warn("forward to peer failed", "peer", peer, "error", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.HTTPClient.Do(req)
	if err != nil {
		f.Log.Warn("forward to peer failed (not retried; agents' polls still find the change)", "peer", peer, "error", err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		f.Log.Warn("peer refused a forward", "peer", peer, "status", resp.StatusCode)
	}
}
