package figapi

import (
	"net/http"
	"time"
)

// The anonymous probes: /_health, /capabilities and /apiversion.

// Fig source: ApiVersionController (src/api/Fig.Api/Controllers/ApiVersionController.cs),
// CapabilitiesController (src/api/Fig.Api/Controllers/CapabilitiesController.cs)
// and the /_health mapping in src/api/Fig.Api/Program.cs (MapHealthChecks).
// healthBody is what HealthChecks.UI's UIResponseWriter writes for Fig's
// one healthy "Database" check (System.Text.Json, camelCase, enums as
// strings, nulls left out; §9). The durations are fixed: nothing measures
// them here.
const healthBody = `{"status":"Healthy","totalDuration":"00:00:00.0010000","entries":{"Database":{"data":{},"duration":"00:00:00.0010000","status":"Healthy","tags":[]}}}`

func (s *Server) serveHealth(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(healthBody))
}

// serveCapabilities writes FigCapabilitiesDataContract (Fixture A).
func (s *Server) serveCapabilities(w http.ResponseWriter) {
	if s.opts.NoCapabilities {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	e := &wire{nulls: s.opts.Fig3}
	o := e.object(typeCapabilities)
	o.str("apiVersion", s.opts.APIVersion)
	o.strings("supportedFeatures", s.opts.Capabilities)
	o.close()
	writeJSON(w, e.b)
}

// serveAPIVersion writes ApiVersionDataContract. Hostname is always empty
// in Fig 4; LastSettingChange is the global change stamp, DateTime.MinValue
// (no zone) before the first change.
func (s *Server) serveAPIVersion(w http.ResponseWriter) {
	s.mu.Lock()
	last := s.lastSettingChange
	s.mu.Unlock()
	e := &wire{nulls: s.opts.Fig3}
	o := e.object(typeAPIVersion)
	o.str("apiVersion", s.opts.APIVersion)
	o.str("hostname", "")
	if last.IsZero() {
		o.str("lastSettingChange", formatDateTime(time.Time{}, zoneUnspecified))
	} else {
		o.str("lastSettingChange", formatDateTime(last, zoneUTC))
	}
	o.close()
	writeJSON(w, e.b)
}
