package figapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// ErrNotFound is returned by admin methods for a client, instance, setting
// or run session the emulator does not hold.
var ErrNotFound = errors.New("not found")

// The in-memory model mirrors Fig's tables closely enough for the client
// endpoints: a client name owns one secret and one row per instance (""
// is the base client, the others are instance overrides, §1.5); a row owns
// its settings, its change stamp and its run sessions. All of it is guarded
// by Server.mu.

// clientGroup is every row of one client name.
type clientGroup struct {
	name   string
	secret secretHash
	rows   map[string]*clientRow // by instance; "" is the base client
	// settingsKey identifies the registered setting definitions, for
	// "identical registration"; "" for seeded clients, which never match.
	settingsKey string
}

// clientRow is one client or instance override (SettingClientBusinessEntity).
type clientRow struct {
	instance    string
	description string
	settings    []*setting
	// lastRegistration is zero for a seeded row that never registered.
	lastRegistration time.Time
	// lastValueUpdate is LastSettingValueUpdate, zero while no value was
	// changed (Fig's null, which is never newer than a client's cursor).
	lastValueUpdate time.Time
	sessions        []*runSession
}

// setting is one setting of a row: its definition and current value.
type setting struct {
	name        string
	description string
	isSecret    bool
	valueType   string // as registered or seeded
	canonType   string // canonicalType(valueType)
	kind        Kind   // storage kind; JSON settings store as KindString
	jsonSchema  string
	liveUpdate  bool
	value       Value
	lastChanged time.Time
	// externallyManaged is IsExternallyManaged: a client override named it
	// (Fig's UI marks such a setting as set outside Fig).
	externallyManaged bool
}

// servesJSON reports whether the setting's value goes out as a
// JsonSettingDataContract: a string with a schema (SettingConverter).
func (st *setting) servesJSON() bool { return st.kind == KindString && st.jsonSchema != "" }

func (st *setting) clone() *setting {
	c := *st
	return &c
}

// runSession is one client process as seen through its status calls
// (ClientRunSessionBusinessEntity).
type runSession struct {
	id                string // lower-case GUID
	instance          string // as requested
	hostname          string
	ipAddress         string
	startTime         time.Time
	firstSeen         time.Time
	lastSeen          time.Time
	lastSettingLoad   time.Time
	pollIntervalMs    float64
	liveReload        bool
	restartRequested  bool
	statuses          int
	lastSettingUpdate time.Time
	req               statusRequest
	raw               []byte
	restartRequired   bool   // RestartRequiredToApplySettings
	healthJSON        []byte // the last health reported (HealthReportJson)
	healthChanges     int
}

// expired is Fig's IsExpired (ClientRunSessionBusinessEntityExtensions.cs):
// last seen more than 2 poll intervals + 50 ms ago.
func (rs *runSession) expired(now time.Time) bool {
	grace := time.Duration((2*rs.pollIntervalMs + 50) * float64(time.Millisecond))
	return rs.lastSeen.Add(grace).Before(now)
}

// noteHealth records a status's health as Fig's run session Update does
// (ClientRunSessionBusinessEntityExtensions.cs): a health that serializes
// differently from the last one is a change — Fig logs a HealthStatusChanged
// event and fires that web hook (StatusService.cs) — and a null health
// keeps the last one.
func (rs *runSession) noteHealth(h *wireHealth) {
	if rs.healthDiffers(h) {
		rs.healthChanges++
		rs.healthJSON, _ = json.Marshal(h)
	}
}

// healthDiffers reports whether h is a change from the last health.
func (rs *runSession) healthDiffers(h *wireHealth) bool {
	if h == nil {
		return false
	}
	b, _ := json.Marshal(h)
	return !bytes.Equal(b, rs.healthJSON)
}

// change is one value change, Fig's event log entry that feeds
// changedSettings.
type change struct {
	client, instance, setting string
	at                        time.Time
}

// maxChanges bounds the change log, like a retention period would.
const maxChanges = 10000

// row returns the row for (name, instance), or nil.
func (s *Server) row(name, instance string) *clientRow {
	g := s.clients[name]
	if g == nil {
		return nil
	}
	return g.rows[instance]
}

// rowWithFallback is the lookup GET settings and PUT status use: the
// instance row, or the base row when that instance does not exist (§1.5).
func (s *Server) rowWithFallback(name, instance string) (*clientGroup, *clientRow) {
	g := s.clients[name]
	if g == nil {
		return nil, nil
	}
	if r := g.rows[instance]; r != nil {
		return g, r
	}
	if instance != "" {
		if r := g.rows[""]; r != nil {
			return g, r
		}
	}
	return g, nil
}

// stamp returns the time of a change: the injected clock at full precision,
// forced strictly after the previous stamp so that two changes inside one
// clock tick still order (and one .NET tick apart, so they differ on the
// wire too).
func (s *Server) stamp() time.Time {
	t := s.now().UTC()
	if !t.After(s.lastStamp) {
		t = s.lastStamp.Add(100 * time.Nanosecond)
	}
	s.lastStamp = t
	return t
}

// registerChange moves the global LastSettingChange (GET /apiversion).
func (s *Server) registerChange(at time.Time) { s.lastSettingChange = at }

// applyValues sets values on a row's settings and, when any differs, stamps
// the row's LastSettingValueUpdate and logs one change per setting, as
// SettingsService.UpdateSettingValues does, with SettingValueChanged web
// hooks when hooks is set. It reports the names changed.
func (s *Server) applyValues(g *clientGroup, r *clientRow, values []namedValue, hooks bool) []string {
	var changed []string
	var at time.Time
	for _, nv := range values {
		st := r.setting(nv.name)
		if st == nil {
			continue
		}
		v := nv.value.asKind(st.kind)
		if st.value.Equal(v) {
			continue
		}
		if at.IsZero() {
			at = s.stamp()
		}
		st.value = v
		st.lastChanged = at
		changed = append(changed, st.name)
		if !st.liveUpdate {
			// SettingsService.UpdateSettingValues → StatusService.MarkRestartRequired:
			// every session of the row now needs a restart to apply it (the
			// web UI's "Restart Required"); sessions that start later do not.
			for _, rs := range r.sessions {
				rs.restartRequired = true
			}
		}
		s.changes = append(s.changes, change{client: g.name, instance: r.instance, setting: st.name, at: at})
	}
	if len(s.changes) > maxChanges {
		s.changes = slices.Clone(s.changes[len(s.changes)-maxChanges:])
	}
	if len(changed) > 0 {
		r.lastValueUpdate = at
		s.registerChange(at)
		if hooks {
			s.settingsChangedHooks(g.name, r.instance, changed)
		}
	}
	return changed
}

// namedValue is one value update.
type namedValue struct {
	name  string
	value Value
}

func (r *clientRow) setting(name string) *setting {
	for _, st := range r.settings {
		if st.name == name {
			return st
		}
	}
	return nil
}

// createOverride copies the base row into a new instance row, as Fig does
// when a value is first set for an instance (ClientOverrideService).
func (g *clientGroup) createOverride(instance string) (*clientRow, bool) {
	base := g.rows[""]
	if base == nil {
		return nil, false
	}
	r := &clientRow{instance: instance, description: base.description, lastRegistration: base.lastRegistration}
	for _, st := range base.settings {
		r.settings = append(r.settings, st.clone())
	}
	g.rows[instance] = r
	return r, true
}

// changedNames lists the settings changed for (client, instance) between
// from and to, each once, in the order first changed (StatusService
// GetChangedSettingNames, with its one-second margins).
func (s *Server) changedNames(client, instance string, from, to time.Time) []string {
	from, to = from.Add(-time.Second), to.Add(time.Second)
	names := []string{}
	for _, c := range s.changes {
		if c.client != client || c.instance != instance || c.at.Before(from) || c.at.After(to) {
			continue
		}
		if !slices.Contains(names, c.setting) {
			names = append(names, c.setting)
		}
	}
	return names
}

// sessionByID finds a run session anywhere in the store.
func (s *Server) sessionByID(id string) (*runSession, string) {
	for name, g := range s.clients {
		for _, r := range g.rows {
			for _, rs := range r.sessions {
				if rs.id == id {
					return rs, name
				}
			}
		}
	}
	return nil, ""
}

// rawCopy returns an independent copy of b.
func rawCopy(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	return append(json.RawMessage(nil), b...)
}
