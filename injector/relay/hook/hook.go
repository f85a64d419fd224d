// Package hook receives Fig's web hooks, exactly as Fig sends them, and
// turns SettingValueChanged into a wake-up for the subscribers of that
// client. It knows nothing of subscribers or streams: it calls a Sink.
//
// What Fig sends (src/api/Fig.Api/Workers/WebHookProcessorWorker.cs):
// POST new Uri(new Uri(client.BaseUri), route), where route is the web hook
// type's name (src/api/Fig.Api/ExtensionMethods/WebHookTypeExtensions.cs
// GetRoute), the body is JsonConvert.SerializeObject(contract) with default
// settings (PascalCase, nulls written, enums as numbers), a 10 s timeout and
// no retry. Because .NET resolves the route against the base URI, a base URI
// without a trailing slash loses its last path segment; Handler therefore
// routes on the last path segment only, and the relay mounts it both under
// /fig/ and at the root.
package hook

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
)

// Routes Fig posts to, one per web hook type (WebHookTypeExtensions.GetRoute).
const (
	RouteSettingValueChanged       = "SettingValueChanged"
	RouteNewClientRegistration     = "NewClientRegistration"
	RouteUpdatedClientRegistration = "UpdatedClientRegistration"
	RouteClientStatusChanged       = "ClientStatusChanged"
	RouteMinRunSessions            = "MinRunSessions"
	RouteHealthStatusChanged       = "HealthStatusChanged"
	RouteSecurityEvent             = "SecurityEvent"
)

// Routes lists every route Fig may post to. The relay answers 200 to all of
// them (so Fig's "Test" button passes) and acts on SettingValueChanged only.
var Routes = []string{RouteSettingValueChanged, RouteNewClientRegistration, RouteUpdatedClientRegistration,
	RouteClientStatusChanged, RouteMinRunSessions, RouteHealthStatusChanged, RouteSecurityEvent}

// MaxBody bounds a hook's body: Fig's largest contract (a registration
// naming every setting of a client) stays far below it.
const MaxBody = 1 << 20

// SettingValueChanged is Fig's SettingValueChangedDataContract
// (src/common/Fig.WebHooks.Contracts/SettingValueChangedDataContract.cs):
// names only, never values. Fig sends one per client (and instance) whose
// changed settings match the web hook's setting-name regex
// (WebHookProcessorWorker.CreateSettingValueChangedContract).
type SettingValueChanged struct {
	ClientName      string
	Instance        *string
	UpdatedSettings []string
	Username        *string
	Link            *string
	ChangeMessage   string
	IsTest          bool
}

// Sink receives the wake-ups; the relay's hub implements it. It returns how
// many subscribers it woke.
type Sink interface {
	SettingsChanged(client, instance string, names []string) int
}

// Metrics counts hooks by route and outcome ("ok", "ignored", "test",
// "unauthorized", "bad_request"). Labels never carry a secret or a name
// from the payload.
type Metrics interface {
	Hook(route, outcome string)
}

// Handler serves Fig's web hook routes.
type Handler struct {
	Verifier *Verifier
	Sink     Sink
	Metrics  Metrics // nil: not counted
	Log      *slog.Logger
}

// ServeHTTP verifies the secret, then decodes and forwards the hook.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := matchRoute(path.Base(r.URL.Path))
	if route == "" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := h.Verifier.Check(r.Header.Get("Authorization")); err != nil {
		// The reason is one of two fixed texts; the header is never logged.
		h.Log.Warn("web hook refused", "route", route, "remote", r.RemoteAddr, "reason", err.Error())
		h.count(route, "unauthorized")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if route != RouteSettingValueChanged {
		_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, MaxBody))
		h.count(route, "ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	var c SettingValueChanged
	if err := decode(w, r, &c); err != nil {
		h.Log.Warn("web hook not understood", "route", route, "error", err.Error())
		h.count(route, "bad_request")
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if c.IsTest { // Fig's "Test" button (WebHookClientTestingService): no real client changed
		h.count(route, "test")
		w.WriteHeader(http.StatusOK)
		return
	}
	instance := ""
	if c.Instance != nil {
		instance = strings.TrimSpace(*c.Instance)
	}
	woke := h.Sink.SettingsChanged(c.ClientName, instance, c.UpdatedSettings)
	h.Log.Debug("settings changed", "client", c.ClientName, "instance", instance, "settings", len(c.UpdatedSettings), "subscribers", woke)
	h.count(route, "ok")
	w.WriteHeader(http.StatusOK)
}

func (h *Handler) count(route, outcome string) {
	if h.Metrics != nil {
		h.Metrics.Hook(route, outcome)
	}
}

// matchRoute returns the canonical route for a path segment; ASP.NET, which
// Fig's own receivers run on, matches routes ignoring case.
func matchRoute(seg string) string {
	for _, r := range Routes {
		if strings.EqualFold(seg, r) {
			return r
		}
	}
	return ""
}

// decode reads a SettingValueChanged body and checks what the contract's
// constructor requires (a client name and at least one setting).
func decode(w http.ResponseWriter, r *http.Request, c *SettingValueChanged) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		return errors.New("body unreadable or larger than 1 MiB")
	}
	if err := json.Unmarshal(body, c); err != nil {
		return errors.New("body is not a SettingValueChangedDataContract (JSON)")
	}
	if strings.TrimSpace(c.ClientName) == "" {
		return errors.New("ClientName is missing")
	}
	if len(c.UpdatedSettings) == 0 {
		return errors.New("UpdatedSettings is empty")
	}
	return nil
}
