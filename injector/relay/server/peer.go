package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/peers"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// refusalStatus maps an auth error to its HTTP status: 401, 403, or 503
// when the review itself failed (the caller retries).
func refusalStatus(err error) int {
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, auth.ErrForbidden):
		return http.StatusForbidden
	}
	return http.StatusServiceUnavailable
}

// servePeer delivers wake-ups and vault states another replica forwarded
// to this one's subscribers (peers.Forwarder); they are never forwarded
// again.
func (s *Server) servePeer(w http.ResponseWriter, r *http.Request) {
	body, ok := s.peerBody(w, r)
	if !ok {
		return
	}
	var evs []wire.Event
	if json.Unmarshal(body, &evs) != nil || len(evs) == 0 {
		http.Error(w, "body is not a JSON array of events", http.StatusBadRequest)
		return
	}
	for _, ev := range evs {
		if !forwardable(ev) {
			http.Error(w, "event of type "+strconv.Quote(ev.Type)+" is not forwarded between replicas, or names no client or vault", http.StatusBadRequest)
			return
		}
	}
	for _, ev := range evs {
		s.opts.Hub.Apply(ev)
	}
	w.WriteHeader(http.StatusOK)
}

// forwardable: the wake-ups and vault states replicas exchange.
func forwardable(ev wire.Event) bool {
	switch ev.Type {
	case wire.TypeSettingsChanged:
		return ev.Client != ""
	case wire.TypeSecretsChanged, wire.TypeVaultWatched, wire.TypeVaultUnwatched:
		return wire.VaultKey(ev.Vault) == ev.Vault
	}
	return false
}

// servePeerVaults takes another replica's report of its subscribers'
// vaults (relay/fleet) and answers with the states this replica knows as
// the Key Vault lister.
func (s *Server) servePeerVaults(w http.ResponseWriter, r *http.Request) {
	body, ok := s.peerBody(w, r)
	if !ok {
		return
	}
	var rep peers.VaultReport
	if json.Unmarshal(body, &rep) != nil || rep.Replica == "" {
		http.Error(w, "body is not a vault report (replica, vaults)", http.StatusBadRequest)
		return
	}
	states := s.opts.Fleet.PeerVaults(rep.Replica, rep.Vaults)
	if states == nil {
		states = []wire.Event{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(states)
}

// peerBody checks the method and the peer's identity and reads the body;
// on false the answer has been written.
func (s *Server) peerBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err := s.opts.Peers.AuthenticatePeer(r.Context(), strings.TrimSpace(token)); err != nil {
		status := refusalStatus(err)
		s.log.Warn("peer forward refused", "route", r.URL.Path, "status", status, "reason", err.Error())
		http.Error(w, err.Error(), status)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPeerBody))
	if err != nil {
		http.Error(w, "body larger than 1 MiB", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	return body, true
}

// maxPeerBody bounds what a replica posts: a report names every vault its
// subscribers read, a forward every secret a pass found changed.
const maxPeerBody = 1 << 20
