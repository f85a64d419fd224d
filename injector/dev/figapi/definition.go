package figapi

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Fig source: ClientsController.RegisterClient (src/api/Fig.Api/Controllers/ClientsController.cs:
// client secret and client name validated first, then
// SettingsService.RegisterSettings) and the contracts
// src/common/Fig.Contracts/SettingDefinitions/SettingsClientDefinitionDataContract.cs
// and SettingDefinitionDataContract.cs.
// Definition is a client definition as POST /clients carries it
// (SettingsClientDefinitionDataContract, contracts/fig-api.md §2.2),
// decoded for tests to assert on. Registration.Raw holds the exact bytes.
type Definition struct {
	Name              string
	Description       *string // nil when sent as null (deferred description)
	Instance          *string
	ClientVersion     *string
	HasDisplayScripts bool
	Settings          []SettingDefinition
	// ClientSettingOverrides is nil when the member was null or absent,
	// which Fig answers with a 500 (send [] instead).
	ClientSettingOverrides []SettingOverride
}

// SettingDefinition is one setting of a Definition
// (SettingDefinitionDataContract); only the members the emulator or a
// test is likely to need are decoded.
type SettingDefinition struct {
	Name        string
	Description string
	IsSecret    bool
	// ValueType is the .NET type name as sent; Kind is what it stores as.
	ValueType string
	Kind      Kind
	// DefaultValue is where the initial value comes from; Value is decoded
	// but ignored by registration, as Fig ignores it.
	DefaultValue       Value
	Value              Value
	JSONSchema         string
	ValidValues        []string
	Group              string
	DisplayOrder       *int
	Advanced           bool
	SupportsLiveUpdate bool
	Classification     int
	DataGrid           *DataGridDefinition
	// Raw is the setting object as received (compact).
	Raw json.RawMessage
}

// DataGridDefinition is DataGridDefinitionDataContract.
type DataGridDefinition struct {
	Columns  []DataGridColumn
	IsLocked bool
}

// DataGridColumn is DataGridColumnDataContract.
type DataGridColumn struct {
	Name        string
	ValueType   string
	IsSecret    bool
	IsReadOnly  bool
	ValidValues []string
}

// SettingOverride is one ClientSettingOverrides entry (a SettingDataContract).
type SettingOverride struct {
	Name  string
	Value Value
}

// decodedSetting pairs a decoded setting with what registration needs.
type decodedSetting struct {
	def       SettingDefinition
	canonType string
	kindOK    bool // ValueType is a type Fig supports
	key       string
}

// bindError is a model-binding failure: ASP.NET answers it with a 400
// ValidationProblemDetails before the action runs.
type bindError struct{ field, msg string }

func (e *bindError) Error() string { return e.field + ": " + e.msg }

// decodeDefinition reads a registration body as Newtonsoft would bind it,
// strictly where Fig is strict ("$type" first on value objects, known
// contract types, readable ValueType).
func decodeDefinition(n *node) (Definition, []decodedSetting, *bindError) {
	var d Definition
	if n.kind != 'o' {
		return d, nil, &bindError{"", "the body must be a SettingsClientDefinitionDataContract object"}
	}
	fail := func(field string, err error) (Definition, []decodedSetting, *bindError) {
		return d, nil, &bindError{field, err.Error()}
	}
	var err error
	if d.Name, err = n.str("Name"); err != nil {
		return fail("Name", err)
	}
	if d.Description, err = n.optStr("Description"); err != nil {
		return fail("Description", err)
	}
	if d.Instance, err = n.optStr("Instance"); err != nil {
		return fail("Instance", err)
	}
	if d.ClientVersion, err = n.optStr("ClientVersion"); err != nil {
		return fail("ClientVersion", err)
	}
	if d.HasDisplayScripts, err = n.boolean("HasDisplayScripts", false); err != nil {
		return fail("HasDisplayScripts", err)
	}
	var settings []decodedSetting
	if list := n.get("Settings"); !list.isNull() {
		if list.kind != 'a' {
			return fail("Settings", fmt.Errorf("want an array"))
		}
		d.Settings = []SettingDefinition{}
		for i, sn := range list.items {
			field := "Settings[" + strconv.Itoa(i) + "]"
			ds, berr := decodeSetting(sn, field)
			if berr != nil {
				return d, nil, berr
			}
			d.Settings = append(d.Settings, ds.def)
			settings = append(settings, ds)
		}
	}
	if list := n.get("ClientSettingOverrides"); !list.isNull() {
		if list.kind != 'a' {
			return fail("ClientSettingOverrides", fmt.Errorf("want an array"))
		}
		d.ClientSettingOverrides = []SettingOverride{}
		for i, on := range list.items {
			field := "ClientSettingOverrides[" + strconv.Itoa(i) + "]"
			if on.kind != 'o' {
				return fail(field, fmt.Errorf("want an object"))
			}
			name, err := on.str("Name")
			if err != nil {
				return fail(field, err)
			}
			v, err := decodeValue(on.get("Value"), field+".Value")
			if err != nil {
				return fail(field+".Value", err)
			}
			d.ClientSettingOverrides = append(d.ClientSettingOverrides, SettingOverride{Name: name, Value: v})
		}
	}
	return d, settings, nil
}

func decodeSetting(n *node, field string) (decodedSetting, *bindError) {
	var ds decodedSetting
	fail := func(f string, err error) (decodedSetting, *bindError) {
		return ds, &bindError{field + "." + f, err.Error()}
	}
	if n.kind != 'o' {
		return ds, &bindError{field, "want an object"}
	}
	s := &ds.def
	s.Raw = n.raw()
	var err error
	if s.Name, err = n.str("Name"); err != nil {
		return fail("Name", err)
	}
	if s.Description, err = n.str("Description"); err != nil {
		return fail("Description", err)
	}
	if s.IsSecret, err = n.boolean("IsSecret", false); err != nil {
		return fail("IsSecret", err)
	}
	if s.ValueType, err = n.str("ValueType"); err != nil {
		return fail("ValueType", err)
	}
	if s.ValueType == "" {
		return fail("ValueType", fmt.Errorf("the ValueType field is required"))
	}
	if ds.canonType, err = canonicalType(s.ValueType); err != nil {
		return fail("ValueType", err)
	}
	s.Kind, ds.kindOK = kindOfNetType(ds.canonType)
	if s.DefaultValue, err = decodeValue(n.get("DefaultValue"), "DefaultValue"); err != nil {
		return fail("DefaultValue", err)
	}
	if s.Value, err = decodeValue(n.get("Value"), "Value"); err != nil {
		return fail("Value", err)
	}
	if s.JSONSchema, err = n.str("JsonSchema"); err != nil {
		return fail("JsonSchema", err)
	}
	if s.ValidValues, err = n.strList("ValidValues"); err != nil {
		return fail("ValidValues", err)
	}
	if s.Group, err = n.str("Group"); err != nil {
		return fail("Group", err)
	}
	if v := n.get("DisplayOrder"); !v.isNull() {
		i, err := strconv.Atoi(v.text)
		if v.kind != 'n' || err != nil {
			return fail("DisplayOrder", fmt.Errorf("want an integer"))
		}
		s.DisplayOrder = &i
	}
	if s.Advanced, err = n.boolean("Advanced", false); err != nil {
		return fail("Advanced", err)
	}
	if s.SupportsLiveUpdate, err = n.boolean("SupportsLiveUpdate", true); err != nil {
		return fail("SupportsLiveUpdate", err)
	}
	if v := n.get("Classification"); !v.isNull() {
		i, err := strconv.Atoi(v.text)
		if v.kind != 'n' || err != nil {
			return fail("Classification", fmt.Errorf("want an integer"))
		}
		s.Classification = i
	}
	if g := n.get("DataGridDefinition"); !g.isNull() {
		dg, err := decodeGridDefinition(g)
		if err != nil {
			return fail("DataGridDefinition", err)
		}
		s.DataGrid = dg
	}
	ds.key = ds.canonType + "|" + n.canonical("$type", "value", "lastchanged", "valuetype")
	return ds, nil
}

func decodeGridDefinition(n *node) (*DataGridDefinition, error) {
	if n.kind != 'o' {
		return nil, fmt.Errorf("want an object")
	}
	g := &DataGridDefinition{}
	var err error
	if g.IsLocked, err = n.boolean("IsLocked", false); err != nil {
		return nil, err
	}
	cols := n.get("Columns")
	if cols.isNull() {
		return g, nil
	}
	if cols.kind != 'a' {
		return nil, fmt.Errorf("columns: want an array")
	}
	for _, c := range cols.items {
		if c.kind != 'o' {
			return nil, fmt.Errorf("columns: want objects")
		}
		var col DataGridColumn
		if col.Name, err = c.str("Name"); err != nil {
			return nil, err
		}
		if col.ValueType, err = c.str("ValueType"); err != nil {
			return nil, err
		}
		if col.IsSecret, err = c.boolean("IsSecret", false); err != nil {
			return nil, err
		}
		if col.IsReadOnly, err = c.boolean("IsReadOnly", false); err != nil {
			return nil, err
		}
		if col.ValidValues, err = c.strList("ValidValues"); err != nil {
			return nil, err
		}
		g.Columns = append(g.Columns, col)
	}
	return g, nil
}
