package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/fig-injector/fig-injector/injector/relay/auth"
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

// servePeer delivers a wake-up another replica forwarded to this one's
// subscribers (peers.Forwarder); it is never forwarded again.
func (s *Server) servePeer(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err := s.opts.Peers.AuthenticatePeer(r.Context(), strings.TrimSpace(token)); err != nil {
		status := refusalStatus(err)
		s.log.Warn("peer forward refused", "status", status, "reason", err.Error())
		http.Error(w, err.Error(), status)
		return
	}
	var ev wire.Event
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSubscription))
	if err != nil || json.Unmarshal(body, &ev) != nil || ev.Type != wire.TypeSettingsChanged || ev.Client == "" {
		http.Error(w, "body is not a settingsChanged event", http.StatusBadRequest)
		return
	}
	s.opts.Hub.SettingsChanged(ev.Client, ev.Instance, ev.Settings)
	w.WriteHeader(http.StatusOK)
}
