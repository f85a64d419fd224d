package keyvault

import (
	"maps"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/fig-injector/fig-injector/injector/dev/internal/azjson"
)

// The JSON shapes of contracts/azure.md §4.3. Field order follows the
// service's responses; times are unix seconds.

type wireAttributes struct {
	Enabled         bool   `json:"enabled"`
	NotBefore       *int64 `json:"nbf,omitempty"`
	Expires         *int64 `json:"exp,omitempty"`
	Created         int64  `json:"created"`
	Updated         int64  `json:"updated"`
	RecoveryLevel   string `json:"recoveryLevel"`
	RecoverableDays int    `json:"recoverableDays"`
}

// wireBundle is a secret with its value (GET).
type wireBundle struct {
	Value       string            `json:"value"`
	ContentType string            `json:"contentType,omitempty"`
	ID          string            `json:"id"`
	Attributes  wireAttributes    `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// wireItem is a secret's properties without value (list pages).
type wireItem struct {
	ContentType string            `json:"contentType,omitempty"`
	ID          string            `json:"id"`
	Attributes  wireAttributes    `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// wirePage is one list page; NextLink is null on the last page.
type wirePage struct {
	Value    []wireItem `json:"value"`
	NextLink *string    `json:"nextLink"`
}

// recoveryLevel is what a vault with soft delete and without purge
// protection reports, the default for new vaults.
const recoveryLevel = "Recoverable+Purgeable"

// attributes converts a version's attributes. The caller holds s.mu.
func (s *Server) attributes(v *version) wireAttributes {
	a := wireAttributes{
		Enabled:         v.enabled,
		Created:         v.created.Unix(),
		Updated:         v.updated.Unix(),
		RecoveryLevel:   recoveryLevel,
		RecoverableDays: s.opts.RecoverableDays,
	}
	a.NotBefore = unixOrNil(v.notBefore)
	a.Expires = unixOrNil(v.expires)
	return a
}

func unixOrNil(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	u := t.Unix()
	return &u
}

// item converts a version to list properties under id. The caller holds s.mu.
func (s *Server) item(id string, v *version) wireItem {
	return wireItem{ContentType: v.contentType, ID: id, Attributes: s.attributes(v), Tags: maps.Clone(v.tags)}
}

// writeJSON writes v with the headers the service sends on every response.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := azjson.Marshal(v) // "&" in nextLinks stays literal, as the service writes it
	if err != nil {
		// Only plain structs and maps reach here.
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Ms-Request-Id", uuid.NewString())
	h.Set("X-Ms-Keyvault-Service-Version", "1.9.0.0-fig-injector-dev")
	h.Set("X-Ms-Keyvault-Region", s.opts.Location)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
