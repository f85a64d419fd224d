package keyvault

import (
	"errors"
	"maps"
	"net/http"
	"strings"
)

// serveGet answers GET /secrets/{name}/ (the latest version, whatever its
// state: a disabled latest version is 403, not skipped) and
// GET /secrets/{name}/{version}.
func (s *Server) serveGet(w http.ResponseWriter, r *http.Request, ev *Event, req request) {
	s.mu.Lock()
	v, err := s.lookup(req.name, req.version)
	if err != nil {
		s.mu.Unlock()
		if errors.Is(err, ErrNotFound) {
			what := req.name
			if req.version != "" {
				what += "/" + req.version
			}
			s.writeError(w, ev, errSecretNotFound(what))
		}
		return
	}
	if !v.enabled {
		s.mu.Unlock()
		s.writeError(w, ev, errSecretDisabled())
		return
	}
	name := s.secrets[strings.ToLower(req.name)].name
	ev.Version = v.id
	b := wireBundle{
		Value:       v.value.Reveal(), // the one place a value leaves the emulator
		ContentType: v.contentType,
		ID:          origin(r) + "/secrets/" + name + "/" + v.id,
		Attributes:  s.attributes(v),
		Tags:        maps.Clone(v.tags),
	}
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, b)
}
