package figapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The Go admin API: what Fig's web UI and admin endpoints do, for the dev
// command and tests.

// SetValue changes one setting's value as an admin edit in Fig's web UI
// does; see SetValues.
func (s *Server) SetValue(client, instance, name string, v Value) error {
	return s.SetValues(client, instance, map[string]Value{name: v})
}

// SetValues changes several settings of a client (instance "" for the base
// client) in one edit. An instance that does not exist yet is created as a
// copy of the base client first, as Fig creates an instance override.
// Values equal to the current ones are not changes; if anything changed,
// the row's LastSettingValueUpdate moves to a stamp strictly later than
// every earlier one, so a client polling with an older LastSettingUpdate
// is told to reload. The edit is all or nothing: an unknown setting or a
// value of the wrong kind changes nothing.
func (s *Server) SetValues(client, instance string, values map[string]Value) error {
	return s.setValues(client, instance, values, true)
}

// ImportValues changes values as Fig's value-only import does
// (ImportExportService.ValueOnlyImport → UpdateClient in
// src/api/Fig.Api/Services/ImportExportService.cs): the client's
// LastSettingValueUpdate moves and the change is recorded, but no web hook
// fires, so only a status poll tells the client. Otherwise as SetValues.
func (s *Server) ImportValues(client, instance string, values map[string]Value) error {
	return s.setValues(client, instance, values, false)
}

func (s *Server) setValues(client, instance string, values map[string]Value, hooks bool) error {
	names := slices.Sorted(maps.Keys(values))
	for _, n := range names {
		if err := checkRows(values[n].rows); err != nil {
			return fmt.Errorf("set %s/%s: %w", client, n, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.clients[client]
	if g == nil {
		return fmt.Errorf("set values of client %q: %w", client, ErrNotFound)
	}
	row := g.rows[instance]
	if row == nil && instance != "" && g.rows[""] == nil {
		return fmt.Errorf("set values of client %q instance %q: no base client to copy: %w", client, instance, ErrNotFound)
	}
	check := row
	if check == nil {
		check = g.rows[""]
	}
	updates := make([]namedValue, 0, len(names))
	for _, n := range names {
		st := check.setting(n)
		if st == nil {
			return fmt.Errorf("set %s/%s: setting %w", client, n, ErrNotFound)
		}
		if v := values[n]; !compatible(st.kind, v.kind) {
			return fmt.Errorf("set %s/%s: a %v value does not fit a %s setting", client, n, v.kind, st.canonType)
		}
		updates = append(updates, namedValue{name: n, value: values[n]})
	}
	if row == nil {
		row, _ = g.createOverride(instance)
		at := s.stamp()
		row.lastValueUpdate = at
		s.registerChange(at)
	}
	s.applyValues(g, row, updates, hooks)
	return nil
}

// CreateInstance copies the base client into a new instance override with
// the same values, as creating an instance in Fig's web UI does.
func (s *Server) CreateInstance(client, instance string) error {
	if instance == "" {
		return fmt.Errorf("create instance of %q: empty instance name", client)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.clients[client]
	if g == nil {
		return fmt.Errorf("create instance of %q: client %w", client, ErrNotFound)
	}
	if g.rows[instance] != nil {
		return nil
	}
	if _, ok := g.createOverride(instance); !ok {
		return fmt.Errorf("create instance of %q: base client %w", client, ErrNotFound)
	}
	return nil
}

// DeleteClient removes a client's instance (or its base row, instance "").
// Removing the last row forgets the name, its secret and its registration.
func (s *Server) DeleteClient(client, instance string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.clients[client]
	if g == nil || g.rows[instance] == nil {
		return fmt.Errorf("delete client %q instance %q: %w", client, instance, ErrNotFound)
	}
	delete(g.rows, instance)
	if len(g.rows) == 0 {
		delete(s.clients, client)
		delete(s.registrations, client)
	}
	s.registerChange(s.stamp())
	return nil
}

// RequestRestart asks the client process of a run session to restart (Fig's
// PUT /statuses/{runSessionId}/restart): its next status reply says
// restartRequested.
func (s *Server) RequestRestart(runSessionID string) error {
	return s.withSession(runSessionID, func(rs *runSession) { rs.restartRequested = true })
}

// SetLiveReload turns a run session's live reload on or off (Fig's PUT
// /statuses/{runSessionId}/liveReload). With it off, status replies never
// say settingUpdateAvailable.
func (s *Server) SetLiveReload(runSessionID string, live bool) error {
	return s.withSession(runSessionID, func(rs *runSession) { rs.liveReload = live })
}

func (s *Server) withSession(id string, f func(*runSession)) error {
	u, err := uuid.Parse(id)
	if err != nil {
		return fmt.Errorf("run session %q: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, _ := s.sessionByID(u.String())
	if rs == nil {
		return fmt.Errorf("run session %s: %w", u, ErrNotFound)
	}
	f(rs)
	return nil
}

// ClientInfo is one client row (base or instance) with its settings.
type ClientInfo struct {
	Name        string
	Instance    string // "" for the base client
	Description string
	Settings    []SettingInfo
	// LastRegistration is zero for a seeded client that never registered.
	LastRegistration time.Time
	// LastSettingValueUpdate is zero while no value was changed.
	LastSettingValueUpdate time.Time
}

// SettingInfo is one setting of a ClientInfo.
type SettingInfo struct {
	Name        string
	Description string
	IsSecret    bool
	ValueType   string
	// Kind is the kind served: Json for a string setting with a schema.
	Kind               Kind
	JSONSchema         string
	SupportsLiveUpdate bool
	Value              Value
	LastChanged        time.Time
	// ExternallyManaged says a ClientSettingOverride named the setting.
	ExternallyManaged bool
}

// Clients returns every client row, sorted by name and then instance.
func (s *Server) Clients() []ClientInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ClientInfo
	for _, name := range slices.Sorted(maps.Keys(s.clients)) {
		g := s.clients[name]
		for _, inst := range slices.Sorted(maps.Keys(g.rows)) {
			r := g.rows[inst]
			ci := ClientInfo{Name: name, Instance: inst, Description: r.description,
				LastRegistration: r.lastRegistration, LastSettingValueUpdate: r.lastValueUpdate}
			for _, st := range r.settings {
				k := st.kind
				if st.servesJSON() {
					k = KindJSON
				}
				ci.Settings = append(ci.Settings, SettingInfo{Name: st.name, Description: st.description,
					IsSecret: st.isSecret, ValueType: st.valueType, Kind: k, JSONSchema: st.jsonSchema,
					SupportsLiveUpdate: st.liveUpdate, Value: st.value.asKind(k), LastChanged: st.lastChanged,
					ExternallyManaged: st.externallyManaged})
			}
			out = append(out, ci)
		}
	}
	return out
}

// Registration returns the last POST /clients received for a client name,
// accepted or not, so a test can assert what a client registered.
func (s *Server) Registration(client string) (Registration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.registrations[client]
	if r == nil {
		return Registration{}, false
	}
	cp := *r
	cp.Raw = rawCopy(r.Raw)
	return cp, true
}

// HealthStatus is FigHealthStatus.
type HealthStatus int

// The FigHealthStatus values.
const (
	Healthy HealthStatus = iota
	Degraded
	Unhealthy
	Unknown
	Uninitialized
)

// String returns the status name.
func (h HealthStatus) String() string {
	if h >= 0 && int(h) < len(healthNames) {
		return healthNames[h]
	}
	return fmt.Sprintf("HealthStatus(%d)", int(h))
}

// Health is the HealthDataContract of a status request.
type Health struct {
	Status     HealthStatus
	Components []HealthComponent
}

// HealthComponent is one ComponentHealthDataContract.
type HealthComponent struct {
	Name    string
	Status  HealthStatus
	Message string
}

// RunSession is one client process as its status calls describe it.
type RunSession struct {
	ID     string // lower-case GUID
	Client string
	// Instance is the instance the client asked for; ServedInstance the row
	// that answered it ("" when it fell back to the base client).
	Instance       string
	ServedInstance string
	Hostname       string // Fig_Hostname, or the Host header's host
	StartTime      time.Time
	FirstSeen      time.Time
	LastSeen       time.Time
	// LastSettingLoad is the last GET settings naming this run session (or
	// its creation, which Fig takes as the start-up load).
	LastSettingLoad time.Time
	// LastSettingUpdate is the cursor the last status request carried (UTC).
	LastSettingUpdate time.Time
	PollIntervalMs    float64
	LiveReload        bool
	RestartRequested  bool
	// RestartRequiredToApplySettings says a setting without live update
	// changed while the session ran (StatusService.MarkRestartRequired).
	RestartRequiredToApplySettings bool
	Statuses                       int // status calls received
	FigVersion                     string
	ApplicationVersion             string
	RunningUser                    string
	OfflineSettingsEnabled         bool
	SupportsRestart                bool
	MemoryUsageBytes               int64
	Health                         *Health
	// HealthChanges counts the statuses whose health differed from the
	// session's last (the first health counts): each is an event in Fig's
	// log and a HealthStatusChanged web hook.
	HealthChanges    int
	CustomProperties json.RawMessage
	// LastStatus is the last status body received (decompressed).
	LastStatus json.RawMessage
	// Expired says Fig no longer lists the session: it was last seen more
	// than 2 poll intervals + 50 ms ago (IsExpired in
	// src/api/Fig.Api/ExtensionMethods/ClientRunSessionBusinessEntityExtensions.cs;
	// ClientStatusConverter.cs leaves such sessions out of the Clients page).
	Expired bool
}

// RunSessions returns the run sessions of every row of a client, in the
// order first seen.
func (s *Server) RunSessions(client string) []RunSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.clients[client]
	if g == nil {
		return nil
	}
	var out []RunSession
	for _, r := range g.rows {
		for _, rs := range r.sessions {
			out = append(out, rs.export(client, r.instance, s.now()))
		}
	}
	slices.SortStableFunc(out, func(a, b RunSession) int {
		if c := a.FirstSeen.Compare(b.FirstSeen); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func (rs *runSession) export(client, served string, now time.Time) RunSession {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	out := RunSession{
		ID: rs.id, Client: client, Instance: rs.instance, ServedInstance: served, Hostname: rs.hostname,
		StartTime: rs.startTime, FirstSeen: rs.firstSeen, LastSeen: rs.lastSeen,
		LastSettingLoad: rs.lastSettingLoad, LastSettingUpdate: rs.lastSettingUpdate,
		PollIntervalMs: rs.pollIntervalMs, LiveReload: rs.liveReload, RestartRequested: rs.restartRequested,
		Statuses: rs.statuses, FigVersion: str(rs.req.FigVersion), ApplicationVersion: str(rs.req.ApplicationVersion),
		RunningUser: str(rs.req.RunningUser), OfflineSettingsEnabled: rs.req.OfflineSettingsEnabled,
		SupportsRestart: rs.req.SupportsRestart, MemoryUsageBytes: rs.req.MemoryUsageBytes,
		CustomProperties: rawCopy(rs.req.CustomProperties), LastStatus: rawCopy(rs.raw),
		HealthChanges: rs.healthChanges, Expired: rs.expired(now), RestartRequiredToApplySettings: rs.restartRequired,
	}
	if h := rs.req.Health; h != nil {
		out.Health = &Health{Status: HealthStatus(h.Status)}
		for _, c := range h.Components {
			out.Health.Components = append(out.Health.Components,
				HealthComponent{Name: str(c.Name), Status: HealthStatus(c.Status), Message: str(c.Message)})
		}
	}
	return out
}
