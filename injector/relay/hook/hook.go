// Package hook receives Fig's web hooks, exactly as Fig sends them, and
// turns the ones that can change what a client's agents read into a
// wake-up for the subscribers of that client. It knows nothing of
// subscribers or streams: it calls a Sink.
//
// What each type does (contracts: src/common/Fig.WebHooks.Contracts):
//
//   - SettingValueChanged (SettingValueChangedDataContract): wakes the
//     client's (instance's) agents, naming the changed settings.
//   - UpdatedClientRegistration (ClientRegistrationDataContract): new
//     definitions (a setting added, a default changed by another pod of the
//     client registering a new version) change what the agents render
//     without any value changing, and no SettingValueChanged announces
//     that: wakes the client's agents, naming every setting.
//   - NewClientRegistration (the same contract): agents started before
//     their client was registered wait for it; wakes them, so they fetch at
//     once instead of at their next poll.
//   - ClientStatusChanged, MinRunSessions, HealthStatusChanged and
//     SecurityEvent are about run sessions, health and logins, not values:
//     verified, counted ("ignored") and answered 200.
//
// Every type's "Test" variant (IsTest, WebHookClientTestingService) is
// counted as "test" and wakes nobody.
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
	"fmt"
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
// them (so Fig's "Test" button passes); see the package comment for what
// each does.
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		h.reject(w, route, errors.New("body unreadable or larger than 1 MiB"))
		return
	}
	wake, err := decode(route, body)
	switch {
	case err != nil:
		h.reject(w, route, err)
		return
	case wake.test:
		h.count(route, "test") // Fig's "Test" button (WebHookClientTestingService): no real client changed
	case wake.client == "":
		h.count(route, "ignored")
	default:
		woke := h.Sink.SettingsChanged(wake.client, wake.instance, wake.settings)
		h.Log.Debug("client changed", "route", route, "client", wake.client, "instance", wake.instance, "settings", len(wake.settings), "subscribers", woke)
		h.count(route, "ok")
	}
	w.WriteHeader(http.StatusOK)
}

func (h *Handler) reject(w http.ResponseWriter, route string, err error) {
	h.Log.Warn("web hook not understood", "route", route, "error", err.Error())
	h.count(route, "bad_request")
	http.Error(w, err.Error(), http.StatusBadRequest)
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

// wakeUp is what a hook asks for: wake client's (instance's) agents about
// settings; no client means nobody, test a test hook.
type wakeUp struct {
	client, instance string
	settings         []string
	test             bool
}

// ClientRegistration is Fig's ClientRegistrationDataContract
// (src/common/Fig.WebHooks.Contracts/ClientRegistrationDataContract.cs),
// RegistrationType New = 0, Updated = 1; built by
// WebHookProcessorWorker.CreateNew/UpdatedClientRegistrationContract with
// every setting name of the client.
type ClientRegistration struct {
	ClientName       string
	Instance         *string
	Settings         []string
	RegistrationType int
	Link             *string
	IsTest           bool
}

// decode reads a hook's body as its route's contract and checks what the
// contract's constructor requires.
func decode(route string, body []byte) (wakeUp, error) {
	switch route {
	case RouteSettingValueChanged:
		var c SettingValueChanged
		if err := json.Unmarshal(body, &c); err != nil {
			return wakeUp{}, errors.New("body is not a SettingValueChangedDataContract (JSON)")
		}
		if len(c.UpdatedSettings) == 0 {
			return wakeUp{}, errors.New("UpdatedSettings is empty")
		}
		return named(c.ClientName, c.Instance, c.UpdatedSettings, c.IsTest)
	case RouteNewClientRegistration, RouteUpdatedClientRegistration:
		var c ClientRegistration
		if err := json.Unmarshal(body, &c); err != nil {
			return wakeUp{}, errors.New("body is not a ClientRegistrationDataContract (JSON)")
		}
		return named(c.ClientName, c.Instance, c.Settings, c.IsTest)
	}
	var c struct{ IsTest bool }
	if err := json.Unmarshal(body, &c); err != nil {
		return wakeUp{}, fmt.Errorf("body is not a %s contract (a JSON object)", route)
	}
	return wakeUp{test: c.IsTest}, nil
}

// named is the wake-up for a client hook; ClientName is required.
func named(client string, instance *string, settings []string, test bool) (wakeUp, error) {
	if strings.TrimSpace(client) == "" {
		return wakeUp{}, errors.New("ClientName is missing")
	}
	if test {
		return wakeUp{test: true}, nil
	}
	w := wakeUp{client: client, settings: settings}
	if instance != nil {
		w.instance = strings.TrimSpace(*instance)
	}
	return w, nil
}
