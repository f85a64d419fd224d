package figapi

import (
	"fmt"
	"net/http"

	"github.com/google/uuid"
)

// Fig source: ClientsController.GetSettingsByName
// (src/api/Fig.Api/Controllers/ClientsController.cs: a blank clientSecret
// header is Unauthorized() before anything else) and SettingsService.GetSettings
// (src/api/Fig.Api/Services/SettingsService.cs); the body is written with
// JsonSettings.FigHttp (src/common/Fig.Common.NetStandard/Json/JsonSettings.cs).
// serveSettings handles GET /clients/{name}/settings?runSessionId=&instance=
// (SettingsService.GetSettings, §2.4): a blank secret is a bare 401, an
// unknown client a 404 (the instance falls back to the base client), a
// wrong secret a 401; otherwise the values, in definition order, as an
// array of SettingDataContract (§3.3).
func (s *Server) serveSettings(w http.ResponseWriter, r *http.Request, name string) {
	var sessionID string
	if raw := r.URL.Query().Get("runSessionId"); raw != "" {
		id, err := uuid.Parse(raw)
		if err != nil {
			writeValidationProblem(w, "runSessionId", fmt.Sprintf("The value '%s' is not valid.", raw))
			return
		}
		sessionID = id.String()
	}
	secret := r.Header.Get("ClientSecret")
	if blank(secret) {
		writeProblem(w, http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, row := s.rowWithFallback(name, instanceParam(r))
	if row == nil {
		writeFigError(w, http.StatusNotFound, fmt.Sprintf("No existing registration for client '%s'", name))
		return
	}
	if !g.secret.matches(secret) {
		writeFigError(w, http.StatusUnauthorized, fmt.Sprintf("Invalid client secret for client '%s'", name))
		return
	}
	for _, rs := range row.sessions {
		if sessionID != "" && rs.id == sessionID {
			rs.lastSettingLoad = s.now()
		}
	}
	writeJSON(w, s.settingsBody(row))
}

// settingsBody writes a row's settings as the endpoint serves them. The
// caller holds s.mu.
func (s *Server) settingsBody(row *clientRow) []byte {
	e := &wire{nulls: s.opts.Fig3}
	e.b = append(e.b, '[')
	for i, st := range row.settings {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		o := e.object(typeSetting)
		o.str("name", st.name)
		o.boolean("isSecret", st.isSecret)
		switch {
		case st.isSecret && s.cfg.SecretStoreDown:
			o.key("value") // HydrateSecrets found nothing: the cleared StringSettingBusinessEntity(null)
			e.value(NullString(), false)
		case st.value.kind == KindNone:
			o.null("value")
		default:
			o.key("value")
			e.value(st.value, st.servesJSON())
		}
		o.close()
	}
	e.b = append(e.b, ']')
	return e.b
}
