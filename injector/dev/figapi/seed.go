package figapi

import (
	"fmt"
)

// ClientSeed describes a client created without a registration, as Fig's
// import does (§10): the dev seed file and tests use it so that a client
// that never registers (a sidecar that only reads) finds its settings.
type ClientSeed struct {
	Name string
	// Instance, when set, seeds an instance override of Name.
	Instance    string
	Description string
	// Secret is the client secret in clear; only its salted hash is kept.
	// Required for a new client name; "" keeps an existing name's secret.
	// It is not format-checked: an import carries any secret.
	Secret   string
	Settings []SettingSeed
}

// SettingSeed is one seeded setting.
type SettingSeed struct {
	Name string
	// Description defaults to Name.
	Description string
	IsSecret    bool
	// Value is the setting's value; its kind is the setting's kind.
	Value Value
	// Kind is the setting's kind when Value is the zero Value (no value).
	Kind Kind
	// ValueType overrides the .NET type recorded for the setting (for
	// instance a Nullable`1 or an enum registered as System.String); it must
	// store as the value's kind. Default: the kind's type.
	ValueType string
	// JSONSchema marks a string setting as a JSON setting; a Json value
	// without one gets "{}".
	JSONSchema string
}

// Seed creates or replaces a client (or one instance of it) with the given
// settings, hashing its secret. Re-seeding an existing client is how the
// dev seed file's edits reach running agents: every setting whose value
// changed, appeared or disappeared counts as a change, stamping the row's
// LastSettingValueUpdate as an admin edit would. A new instance of an
// existing client is stamped too, as Fig does when it creates an instance
// override.
func (s *Server) Seed(c ClientSeed) error {
	if msg := clientNameError(c.Name); msg != "" {
		return fmt.Errorf("seed client: %s", msg)
	}
	settings, err := seedSettings(c.Settings)
	if err != nil {
		return fmt.Errorf("seed client %q: %w", c.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.clients[c.Name]
	if g == nil {
		if blank(c.Secret) {
			return fmt.Errorf("seed client %q: a secret is required", c.Name)
		}
		g = &clientGroup{name: c.Name, rows: map[string]*clientRow{}}
		s.clients[c.Name] = g
		g.rows[c.Instance] = &clientRow{instance: c.Instance, description: c.Description, settings: settings}
		g.secret = hashSecret(c.Secret)
		s.registerChange(s.stamp())
		return nil
	}
	if !blank(c.Secret) {
		g.secret = hashSecret(c.Secret)
	}
	g.settingsKey = "" // a seeded definition never equals a registered one
	row := g.rows[c.Instance]
	if row == nil {
		row = &clientRow{instance: c.Instance, description: c.Description, settings: settings}
		g.rows[c.Instance] = row
		at := s.stamp()
		row.lastValueUpdate = at
		s.registerChange(at)
		return nil
	}
	changed := diffNames(row.settings, settings)
	for _, n := range settings {
		if o := row.setting(n.name); o != nil && o.value.Equal(n.value) {
			n.lastChanged = o.lastChanged
		}
	}
	row.settings = settings
	row.description = c.Description
	if len(changed) > 0 {
		at := s.stamp()
		row.lastValueUpdate = at
		for _, name := range changed { // a removed setting is named too
			s.changes = append(s.changes, change{client: g.name, instance: row.instance, setting: name, at: at})
			if st := row.setting(name); st != nil {
				st.lastChanged = at
			}
		}
		s.registerChange(at)
		s.settingsChangedHooks(g.name, row.instance, changed)
	}
	return nil
}

// diffNames lists, in order, the settings of next whose value differs from
// or is missing in old, then those of old missing from next.
func diffNames(old, next []*setting) []string {
	var out []string
	find := func(list []*setting, name string) *setting {
		for _, st := range list {
			if st.name == name {
				return st
			}
		}
		return nil
	}
	for _, n := range next {
		if o := find(old, n.name); o == nil || !o.value.Equal(n.value) || o.servesJSON() != n.servesJSON() {
			out = append(out, n.name)
		}
	}
	for _, o := range old {
		if find(next, o.name) == nil {
			out = append(out, o.name)
		}
	}
	return out
}

// seedSettings validates seeds and builds stored settings.
func seedSettings(seeds []SettingSeed) ([]*setting, error) {
	out := make([]*setting, 0, len(seeds))
	seen := map[string]bool{}
	for _, sd := range seeds {
		if sd.Name == "" {
			return nil, fmt.Errorf("a setting has no name")
		}
		if seen[sd.Name] {
			return nil, fmt.Errorf("setting %q: defined more than once", sd.Name)
		}
		seen[sd.Name] = true
		kind := sd.Value.Kind()
		if kind == KindNone {
			kind = sd.Kind
		}
		if kind == KindNone {
			return nil, fmt.Errorf("setting %q: no value and no kind", sd.Name)
		}
		valueType := sd.ValueType
		if valueType == "" {
			valueType = netTypeOfKind[kind]
		}
		canon, err := canonicalType(valueType)
		if err != nil {
			return nil, fmt.Errorf("setting %q: %w", sd.Name, err)
		}
		stored, ok := kindOfNetType(canon)
		if !ok || !compatible(stored, kind) {
			return nil, fmt.Errorf("setting %q: value type %s does not hold a %v value", sd.Name, canon, kind)
		}
		if err := checkRows(sd.Value.rows); err != nil {
			return nil, fmt.Errorf("setting %q: %w", sd.Name, err)
		}
		schema := sd.JSONSchema
		if kind == KindJSON && schema == "" {
			schema = "{}"
		}
		desc := sd.Description
		if desc == "" {
			desc = sd.Name
		}
		out = append(out, &setting{
			name: sd.Name, description: desc, isSecret: sd.IsSecret,
			valueType: valueType, canonType: canon, kind: stored, jsonSchema: schema,
			liveUpdate: true, value: sd.Value.asKind(stored),
		})
	}
	return out, nil
}
