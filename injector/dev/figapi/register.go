package figapi

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Registration is one POST /clients as the emulator received it.
type Registration struct {
	// Raw is the body after Content-Encoding was undone.
	Raw []byte
	// ContentEncoding is the request's Content-Encoding ("" or "gzip").
	ContentEncoding string
	// Definition is Raw decoded (zero when Raw did not decode).
	Definition Definition
	// Status and Message are the answer: 200 and "", or the error.
	Status  int
	Message string
	// Received is when it arrived, by Options.Now.
	Received time.Time
}

// errNullReference is the message of the NullReferenceException Fig
// throws for a null Settings or ClientSettingOverrides list (§2.2).
const errNullReference = "Object reference not set to an instance of an object."

// serveRegister handles POST /clients with the checks of
// SettingsService.RegisterSettings in Fig's order (§2.2):
//
//  1. model binding: a JSON Content-Type (415), a readable body and a
//     ClientSecret header (400 problem);
//  2. the secret's format (400 "Client secret is invalid.");
//  3. the client name (400);
//  4. AllowNewRegistrations (401, even for an identical registration);
//  5. a different secret already registered for the name (401);
//  6. each setting: a supported ValueType, a default of that type and a
//     description (400);
//  7. initial registration (values from DefaultValue), identical
//     registration (LastRegistration only), or an updated one (values kept
//     for settings with the same name and ValueType; 401 when
//     AllowUpdatedRegistrations is off);
//  8. ClientSettingOverrides applied to the body's instance.
func (s *Server) serveRegister(w http.ResponseWriter, r *http.Request) {
	if !jsonContent(r) {
		writeProblem(w, http.StatusUnsupportedMediaType)
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	rec := &Registration{Raw: body, ContentEncoding: r.Header.Get("Content-Encoding"), Received: s.now()}
	answer := func(status int, msg string) {
		rec.Status, rec.Message = status, msg
		if status != http.StatusOK {
			writeFigError(w, status, msg)
			return
		}
		w.WriteHeader(http.StatusOK)
	}

	tree, err := parseTree(body)
	var def Definition
	var settings []decodedSetting
	var berr *bindError
	if err != nil {
		berr = &bindError{"", err.Error()}
	} else {
		def, settings, berr = decodeDefinition(tree)
	}
	rec.Definition = def

	s.mu.Lock()
	defer s.mu.Unlock()
	if def.Name != "" {
		s.registrations[def.Name] = rec
	}
	secrets, hasSecret := r.Header[http.CanonicalHeaderKey("ClientSecret")]
	switch {
	case berr != nil:
		rec.Status, rec.Message = http.StatusBadRequest, berr.Error()
		writeValidationProblem(w, berr.field, berr.msg)
		return
	case !hasSecret:
		rec.Status, rec.Message = http.StatusBadRequest, "The clientSecret field is required."
		writeValidationProblem(w, "clientSecret", rec.Message)
		return
	}
	secret := secrets[0]
	if !validSecretFormat(secret) {
		answer(http.StatusBadRequest, "Client secret is invalid.")
		return
	}
	if msg := clientNameError(def.Name); msg != "" {
		answer(http.StatusBadRequest, msg)
		return
	}
	if !s.cfg.AllowNewRegistrations {
		answer(http.StatusUnauthorized, "New registrations are currently disabled")
		return
	}
	g := s.clients[def.Name]
	if g != nil && !g.secret.matches(secret) {
		answer(http.StatusUnauthorized, fmt.Sprintf("Settings for client '%s' have already been registered with a different secret.", def.Name))
		return
	}
	if def.Settings == nil {
		answer(http.StatusInternalServerError, errNullReference)
		return
	}
	if msg := validateSettings(settings); msg != "" {
		answer(http.StatusBadRequest, msg)
		return
	}

	now := s.now()
	desc := ""
	if def.Description != nil {
		desc = *def.Description
	}
	key := settingsKey(settings)
	switch {
	case g == nil:
		g = &clientGroup{name: def.Name, secret: hashSecret(secret), rows: map[string]*clientRow{}, settingsKey: key}
		g.rows[""] = &clientRow{description: desc, settings: newSettings(settings), lastRegistration: now}
		s.clients[def.Name] = g
		s.registerChange(s.stamp())
		s.registrationHooks(def.Name, settingNames(settings), false)
	case s.identical(g, desc, key):
		for _, row := range g.rows {
			row.lastRegistration = now
		}
	case !s.cfg.AllowUpdatedRegistrations:
		answer(http.StatusUnauthorized, "Updated registrations are currently disabled")
		return
	default:
		if desc == "" { // deferred description: keep the one set later
			desc = g.anyRow().description
		}
		for _, row := range g.rows {
			row.settings = carryValues(newSettings(settings), row.settings)
			row.description = desc
			row.lastRegistration = now
		}
		g.settingsKey = key
		s.registerChange(s.stamp())
		s.registrationHooks(def.Name, settingNames(settings), true)
	}
	if status, msg := s.applyOverrides(g, def); status != http.StatusOK {
		answer(status, msg)
		return
	}
	answer(http.StatusOK, "")
}

// identical reports whether a registration changes nothing: the same
// setting definitions and, after Fig copies the stored description over
// an empty one, the same description.
func (s *Server) identical(g *clientGroup, desc, key string) bool {
	if g.settingsKey == "" || g.settingsKey != key {
		return false
	}
	r := g.anyRow()
	return desc == "" || desc == r.description
}

// anyRow returns the base row, or else some row (groups are never empty).
func (g *clientGroup) anyRow() *clientRow {
	if r := g.rows[""]; r != nil {
		return r
	}
	for _, r := range g.rows {
		return r
	}
	return &clientRow{}
}

// validateSettings applies SettingBusinessEntityExtensions.Validate to each
// setting in order and returns the first failure's message. The value
// checked is the default, which becomes the setting's value at
// registration; null values are not type-checked.
func validateSettings(settings []decodedSetting) string {
	seen := map[string]bool{}
	for _, ds := range settings {
		d := ds.def
		if !ds.kindOK {
			return fmt.Sprintf("Setting %s has value type %s, which Fig does not support", d.Name, ds.canonType)
		}
		if v := d.DefaultValue; !v.IsNull() && !compatible(d.Kind, v.kind) {
			return fmt.Sprintf("Value for setting %s had type %s but should have been %s", d.Name, netTypeOfKind[v.kind], ds.canonType)
		}
		if strings.TrimSpace(d.Description) == "" {
			return fmt.Sprintf("Setting %s did not have a description set", d.Name)
		}
		if seen[d.Name] {
			return fmt.Sprintf("Setting %s is defined more than once", d.Name)
		}
		seen[d.Name] = true
	}
	return ""
}

// settingsKey identifies a list of setting definitions for the identical
// check: canonical JSON without values, in order.
func settingsKey(settings []decodedSetting) string {
	var b strings.Builder
	b.WriteString("v1")
	for _, ds := range settings {
		b.WriteByte('\n')
		b.WriteString(ds.key)
	}
	return b.String()
}

// newSettings builds stored settings from a definition; each value is its
// default (SettingDefinitionConverter: Value = DefaultValue).
func newSettings(settings []decodedSetting) []*setting {
	out := make([]*setting, 0, len(settings))
	for _, ds := range settings {
		d := ds.def
		out = append(out, &setting{
			name:        d.Name,
			description: d.Description,
			isSecret:    d.IsSecret,
			valueType:   d.ValueType,
			canonType:   ds.canonType,
			kind:        d.Kind,
			jsonSchema:  d.JSONSchema,
			liveUpdate:  d.SupportsLiveUpdate,
			value:       d.DefaultValue.asKind(d.Kind),
		})
	}
	return out
}

// carryValues keeps the values of old settings whose name and ValueType
// the new definition still has (UpdateRegistrationsWithNewDefinitions).
func carryValues(next, old []*setting) []*setting {
	for _, n := range next {
		for _, o := range old {
			if o.name == n.name && o.canonType == n.canonType {
				n.value = o.value.asKind(n.kind)
				n.lastChanged = o.lastChanged
				break
			}
		}
	}
	return next
}

// applyOverrides applies ClientSettingOverrides to the body's instance (the
// base client when it names none), creating the instance if needed, when
// the configuration allows overrides for this client, as
// SettingsService.ApplyClientSettingOverrides does
// (src/api/Fig.Api/Services/SettingsService.cs): only values that differ
// are updated (FilterChangedOverrides; applyValues skips equal ones, so an
// unchanged override neither stamps a change nor tells clients to reload),
// and every setting an override names — changed or not, matched by exact
// name — is marked externally managed (MarkSettingsAsExternallyManaged). A
// null list is Fig's NullReferenceException.
func (s *Server) applyOverrides(g *clientGroup, def Definition) (int, string) {
	if !s.cfg.AllowClientOverrides {
		return http.StatusOK, ""
	}
	if re := s.cfg.ClientOverridesRegex; re != "" {
		ok, err := regexp.MatchString(re, def.Name)
		if err != nil || !ok {
			return http.StatusOK, ""
		}
	}
	if def.ClientSettingOverrides == nil {
		return http.StatusInternalServerError, errNullReference
	}
	if len(def.ClientSettingOverrides) == 0 {
		return http.StatusOK, ""
	}
	instance := ""
	if def.Instance != nil && strings.TrimSpace(*def.Instance) != "" {
		instance = *def.Instance
	}
	row := g.rows[instance]
	if row == nil {
		var ok bool
		if row, ok = g.createOverride(instance); !ok {
			return http.StatusNotFound, fmt.Sprintf("Unknown client '%s'", def.Name)
		}
	}
	values := make([]namedValue, 0, len(def.ClientSettingOverrides))
	for _, o := range def.ClientSettingOverrides {
		st := row.setting(o.Name)
		if st == nil {
			continue
		}
		if !o.Value.IsNull() && !compatible(st.kind, o.Value.kind) {
			return http.StatusBadRequest, fmt.Sprintf("Value for setting %s had type %s but should have been %s", st.name, netTypeOfKind[o.Value.kind], st.canonType)
		}
		values = append(values, namedValue{name: o.Name, value: o.Value})
	}
	s.applyValues(g, row, values, true)
	for _, o := range def.ClientSettingOverrides {
		if st := row.setting(o.Name); st != nil {
			st.externallyManaged = true
		}
	}
	return http.StatusOK, ""
}

// serveDescription handles PUT /clients/{name}/description: the secret's
// format is checked, an unknown client (or instance) is ignored with a
// 200, a wrong secret is a 401 (SettingsService.UpdateClientDescription).
func (s *Server) serveDescription(w http.ResponseWriter, r *http.Request, name string) {
	if !jsonContent(r) {
		writeProblem(w, http.StatusUnsupportedMediaType)
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	tree, err := parseTree(body)
	if err == nil && tree.kind != 'o' {
		err = fmt.Errorf("the body must be a ClientDescriptionUpdateDataContract object")
	}
	if err != nil {
		writeValidationProblem(w, "", err.Error())
		return
	}
	desc, err := tree.str("Description")
	if err != nil {
		writeValidationProblem(w, "Description", err.Error())
		return
	}
	secrets, ok := r.Header[http.CanonicalHeaderKey("ClientSecret")]
	if !ok {
		writeValidationProblem(w, "clientSecret", "The clientSecret field is required.")
		return
	}
	if !validSecretFormat(secrets[0]) {
		writeFigError(w, http.StatusBadRequest, "Client secret is invalid.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.clients[name]
	row := s.row(name, instanceParam(r))
	if row == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	if !g.secret.matches(secrets[0]) {
		writeFigError(w, http.StatusUnauthorized, fmt.Sprintf("Invalid client secret for client '%s'", name))
		return
	}
	row.description = desc
	w.WriteHeader(http.StatusOK)
}
