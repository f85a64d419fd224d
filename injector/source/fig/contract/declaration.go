package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/fig-injector/fig-injector/injector/boundedfile"
	"github.com/fig-injector/fig-injector/injector/rules"
	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
)

// declaration is the YAML file a user writes to register a non-.NET
// application's settings (fig.register). Its names are the product's
// interface.
type declaration struct {
	Description   string        `json:"description"`
	ClientVersion string        `json:"clientVersion"`
	Settings      []declSetting `json:"settings"`
}

type declSetting struct {
	Name                  string          `json:"name"`
	Type                  string          `json:"type"`
	Default               json.RawMessage `json:"default"`
	Description           string          `json:"description"`
	Secret                bool            `json:"secret"`
	Group                 string          `json:"group"`
	ValidValues           []string        `json:"validValues"`
	Advanced              bool            `json:"advanced"`
	DisplayOrder          *int            `json:"displayOrder"`
	SupportsLiveUpdate    *bool           `json:"supportsLiveUpdate"`
	Classification        string          `json:"classification"`
	JSONSchema            json.RawMessage `json:"jsonSchema"`
	ValidationRegex       string          `json:"validationRegex"`
	ValidationExplanation string          `json:"validationExplanation"`
	Columns               []declColumn    `json:"columns"`
}

type declColumn struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	ValidValues []string `json:"validValues"`
	Secret      bool     `json:"secret"`
	ReadOnly    bool     `json:"readOnly"`
}

// declTypes maps a declared type to the registered ValueType and the value
// contract of its default.
var declTypes = map[string]struct {
	valueType string
	kind      Kind
}{
	"string":   {TypeString, KindString},
	"int":      {TypeInt32, KindInt},
	"long":     {TypeInt64, KindLong},
	"double":   {TypeDouble, KindDouble},
	"bool":     {TypeBoolean, KindBool},
	"datetime": {TypeDateTime, KindDateTime},
	"timespan": {TypeTimeSpan, KindTimeSpan},
	"json":     {TypeString, KindString}, // a string with a JSON schema
	"datagrid": {TypeDataGrid, KindDataGrid},
}

const (
	settingTypeList = "string, int, long, double, bool, datetime, timespan, json, datagrid"
	columnTypeList  = "string, int, long, double, bool, datetime, timespan"
)

// LoadDeclaration reads a settings declaration file (YAML or JSON) and
// returns the Definition Register sends. The file is parsed strictly:
// unknown or repeated fields are errors, and every error names the field's
// path and how to fix it. Shape:
//
//	description: Order service        # the client's description
//	clientVersion: 1.4.0              # recorded in Fig's registration history
//	settings:
//	  - name: Database->Timeout       # "->" nests (Database:Timeout in .NET)
//	    type: timespan                # string|int|long|double|bool|datetime|timespan|json|datagrid
//	    default: "00:00:30"
//	    description: How long to wait # required
//	    secret: false                 # strings only
//	    group: ""                     # share the value across clients
//	    validValues: []               # a drop-down (strings only)
//	    advanced: false
//	    displayOrder: 1               # default: the position in this list
//	    supportsLiveUpdate: true
//	    classification: technical     # technical|functional|special
//	    validationRegex: ""
//	    validationExplanation: ""
//	    jsonSchema: {}                # json settings only (default "{}")
//	    columns:                      # datagrid only (default: one string column "Values")
//	      - {name: Host, type: string, validValues: [], secret: false, readOnly: false}
func LoadDeclaration(path string) (Definition, error) {
	data, err := boundedfile.Read(path, boundedfile.ConfigLimit)
	if err != nil {
		return Definition{}, fmt.Errorf("read settings declaration: %w", err)
	}
	def, err := ParseDeclaration(data)
	if err != nil {
		return Definition{}, fmt.Errorf("settings declaration %s: %w", path, err)
	}
	return def, nil
}

// declarationFixes are ParseDeclaration's fixes for a file that does not
// decode.
var declarationFixes = rules.YAMLFixes{
	Syntax: "check indentation and quoting",
	Type:   "check the field's type (quote values that YAML reads as numbers, dates or booleans — yes, no, on, off, y, n — when a string is expected)",
	Fields: "remove or correct the field; names are case-sensitive: description, clientVersion, settings; per setting: name, type, default, description, secret, group, validValues, advanced, displayOrder, supportsLiveUpdate, classification, jsonSchema, validationRegex, validationExplanation, columns; per column: name, type, validValues, secret, readOnly",
}

// ParseDeclaration is LoadDeclaration on the file's content.
func ParseDeclaration(data []byte) (Definition, error) {
	var decl declaration
	if err := rules.DecodeYAML(data, &decl, declarationFixes); err != nil {
		return Definition{}, err
	}
	if len(decl.Settings) == 0 {
		return Definition{}, errors.New("settings: none declared; fix: list the application's settings under the settings key")
	}
	def := Definition{Description: decl.Description, ClientVersion: strings.TrimSpace(decl.ClientVersion)}
	seen := map[string]int{}
	for i, ds := range decl.Settings {
		s, err := ds.definition(i)
		if err != nil {
			return Definition{}, err
		}
		if j, dup := seen[strings.ToLower(s.Name)]; dup {
			return Definition{}, fmt.Errorf("settings[%d].name: %q is already the name of settings[%d] (names are case-insensitive in .NET configuration); fix: rename one", i, s.Name, j)
		}
		seen[strings.ToLower(s.Name)] = i
		def.Settings = append(def.Settings, s)
	}
	return def, nil
}

// declError is an error about one field of one setting.
type declError struct {
	path string // e.g. settings[2].default
	name string
	msg  string
	fix  string
}

func (e *declError) Error() string {
	where := e.path
	if e.name != "" {
		where = fmt.Sprintf("%s (setting %q)", e.path, e.name)
	}
	if e.fix == "" {
		return where + ": " + e.msg
	}
	return where + ": " + e.msg + "; fix: " + e.fix
}

func (ds declSetting) definition(i int) (SettingDefinition, error) {
	fail := func(field, msg, fix string) error {
		return &declError{path: fmt.Sprintf("settings[%d].%s", i, field), name: strings.TrimSpace(ds.Name), msg: msg, fix: fix}
	}
	name := strings.TrimSpace(ds.Name)
	if name == "" {
		return SettingDefinition{}, fail("name", "missing", "give every setting a name, e.g. Database->ConnectionString")
	}
	for _, seg := range strings.Split(name, Separator) {
		if strings.TrimSpace(seg) == "" {
			return SettingDefinition{}, fail("name", "has an empty part around \"->\"", "write nested names as Parent->Child")
		}
	}
	if dotnet.UTF16Len(name) > MaxNameLength {
		return SettingDefinition{}, fail("name", fmt.Sprintf("is longer than %d characters", MaxNameLength), "shorten it")
	}
	typ := strings.ToLower(strings.TrimSpace(ds.Type))
	t, ok := declTypes[typ]
	if !ok {
		if typ == "" {
			return SettingDefinition{}, fail("type", "missing", "set type to one of "+settingTypeList)
		}
		return SettingDefinition{}, fail("type", fmt.Sprintf("%q is not a setting type", ds.Type), "use one of "+settingTypeList)
	}
	if strings.TrimSpace(ds.Description) == "" {
		return SettingDefinition{}, fail("description", "missing", "describe the setting: Fig requires a description for every setting")
	}
	if ds.Secret && typ != "string" {
		return SettingDefinition{}, fail("secret", "only string settings can be secret", "remove secret or make the setting a string")
	}
	if ds.ValidValues != nil && typ != "string" {
		return SettingDefinition{}, fail("validValues", "only string settings take valid values", "remove validValues or make the setting a string")
	}
	if ds.Columns != nil && typ != "datagrid" {
		return SettingDefinition{}, fail("columns", "only datagrid settings have columns", "remove columns or set type: datagrid")
	}
	if ds.JSONSchema != nil && typ != "json" {
		return SettingDefinition{}, fail("jsonSchema", "only json settings have a JSON schema", "remove jsonSchema or set type: json")
	}
	class, err := parseClassification(ds.Classification)
	if err != nil {
		return SettingDefinition{}, fail("classification", err.Error(), "use technical, functional or special")
	}
	order := i + 1
	if ds.DisplayOrder != nil {
		order = *ds.DisplayOrder
	}
	live := true
	if ds.SupportsLiveUpdate != nil {
		live = *ds.SupportsLiveUpdate
	}
	s := SettingDefinition{
		Name:                  name,
		Description:           ds.Description,
		IsSecret:              ds.Secret,
		ValueType:             t.valueType,
		ValidationRegex:       ds.ValidationRegex,
		ValidationExplanation: ds.ValidationExplanation,
		ValidValues:           ds.ValidValues,
		Group:                 strings.TrimSpace(ds.Group),
		DisplayOrder:          &order,
		Advanced:              ds.Advanced,
		SupportsLiveUpdate:    live,
		Classification:        class,
	}
	switch typ {
	case "json":
		s.JSONSchema = "{}"
		if !dotnet.IsNull(ds.JSONSchema) {
			schema, err := jsonText(ds.JSONSchema)
			if err != nil {
				return SettingDefinition{}, fail("jsonSchema", err.Error(), "give the schema as YAML or as a string of JSON")
			}
			s.JSONSchema = schema
		}
		s.DefaultValue = NullValue(KindString)
		if !dotnet.IsNull(ds.Default) {
			text, err := jsonText(ds.Default)
			if err != nil {
				return SettingDefinition{}, fail("default", err.Error(), "give the default as YAML (a mapping or list) or as a string of JSON")
			}
			s.DefaultValue = StringValue(text)
		}
	case "datagrid":
		cols, err := ds.columns(i, fail)
		if err != nil {
			return SettingDefinition{}, err
		}
		s.DataGrid = &DataGridDefinition{Columns: cols}
		s.DefaultValue, err = gridDefault(ds.Default, cols, fail)
		if err != nil {
			return SettingDefinition{}, err
		}
	default:
		v, err := scalarDefault(t.kind, ds.Default)
		if err != nil {
			return SettingDefinition{}, fail("default", err.Error(), "give a "+typ+" value")
		}
		if typ == "string" && ds.ValidValues != nil && !v.IsNull() {
			text, _ := v.stringText()
			if !contains(ds.ValidValues, text) {
				return SettingDefinition{}, fail("default", "is not one of validValues", "make the default one of the valid values")
			}
		}
		s.DefaultValue = v
	}
	return s, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func parseClassification(s string) (Classification, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "technical":
		return ClassificationTechnical, nil
	case "functional":
		return ClassificationFunctional, nil
	case "special":
		return ClassificationSpecial, nil
	}
	return 0, fmt.Errorf("%q is not a classification", s)
}

// columns converts the declared columns; none means one string column
// "Values" (a list of strings, as Fig.Client registers a List<string>).
func (ds declSetting) columns(i int, fail func(field, msg, fix string) error) ([]DataGridColumn, error) {
	if len(ds.Columns) == 0 {
		return []DataGridColumn{{Name: "Values", ValueType: TypeString}}, nil
	}
	cols := make([]DataGridColumn, 0, len(ds.Columns))
	seen := map[string]bool{}
	for j, dc := range ds.Columns {
		field := fmt.Sprintf("columns[%d]", j)
		name := strings.TrimSpace(dc.Name)
		if name == "" || dotnet.UTF16Len(name) > MaxNameLength {
			return nil, fail(field+".name", fmt.Sprintf("must be 1 to %d characters", MaxNameLength), "name every column")
		}
		if seen[name] {
			return nil, fail(field+".name", fmt.Sprintf("%q is used twice", name), "give each column its own name")
		}
		seen[name] = true
		typ := strings.ToLower(strings.TrimSpace(dc.Type))
		if typ == "" {
			typ = "string"
		}
		t, ok := declTypes[typ]
		if !ok || typ == "json" || typ == "datagrid" {
			return nil, fail(field+".type", fmt.Sprintf("%q is not a column type", dc.Type), "use one of "+columnTypeList)
		}
		if dc.Secret && typ != "string" {
			return nil, fail(field+".secret", "only string columns can be secret", "remove secret or make the column a string")
		}
		if dc.ValidValues != nil && typ != "string" {
			return nil, fail(field+".validValues", "only string columns take valid values", "remove validValues or make the column a string")
		}
		cols = append(cols, DataGridColumn{Name: name, ValueType: t.valueType, ValidValues: dc.ValidValues, IsReadOnly: dc.ReadOnly, IsSecret: dc.Secret})
	}
	return cols, nil
}

// kindOfColumn is the value contract matching a column's ValueType.
func kindOfColumn(valueType string) Kind {
	for _, t := range declTypes {
		if t.valueType == valueType && valueType != TypeString {
			return t.kind
		}
	}
	return KindString
}

// gridDefault converts a data grid's default: a list of rows, each a
// mapping of column to value; with the single column "Values", plain
// scalars are rows too. Cells follow the columns' order; missing cells are
// null, as Fig.Client writes every column of a row.
func gridDefault(raw json.RawMessage, cols []DataGridColumn, fail func(field, msg, fix string) error) (Value, error) {
	if dotnet.IsNull(raw) {
		return NullValue(KindDataGrid), nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return Value{}, fail("default", "a data grid's default must be a list of rows", "write the rows as a YAML list")
	}
	rows := make([]Row, 0, len(items))
	for r, item := range items {
		field := fmt.Sprintf("default[%d]", r)
		cells := map[string]json.RawMessage{}
		if item = bytes.TrimSpace(item); len(item) > 0 && item[0] == '{' {
			members, _, err := dotnet.ReadObject(item)
			if err != nil {
				return Value{}, fail(field, err.Error(), "write each row as a mapping of column to value")
			}
			for _, m := range members {
				if !hasColumn(cols, m.Key) {
					return Value{}, fail(field, fmt.Sprintf("%q is not a column", m.Key), "use the names listed under columns")
				}
				cells[m.Key] = m.Raw
			}
		} else if len(cols) == 1 && cols[0].Name == "Values" {
			cells["Values"] = item
		} else {
			return Value{}, fail(field, "a row must be a mapping of column to value", "write e.g. {Host: a.example, Port: 80}")
		}
		row := make(Row, 0, len(cols))
		for _, c := range cols {
			cellRaw := json.RawMessage("null")
			if v, ok := cells[c.Name]; ok && !dotnet.IsNull(v) {
				cv, err := scalarDefault(kindOfColumn(c.ValueType), v)
				if err != nil {
					return Value{}, fail(field+"."+c.Name, err.Error(), "give a value of the column's type")
				}
				if c.ValidValues != nil {
					if text, _ := cv.stringText(); !contains(c.ValidValues, text) {
						return Value{}, fail(field+"."+c.Name, "is not one of the column's validValues", "use one of the valid values")
					}
				}
				cellRaw = cv.Raw
			}
			row = append(row, Cell{Column: c.Name, Raw: cellRaw})
		}
		rows = append(rows, row)
	}
	return DataGridValue(rows), nil
}

func hasColumn(cols []DataGridColumn, name string) bool {
	for _, c := range cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

// scalarDefault converts a declared default to the value contract of kind,
// written as Fig.Client writes it. No default gives what Fig.Client sends
// for an unset property: null for strings, dates and time spans, zero for
// numbers, false for booleans.
func scalarDefault(kind Kind, raw json.RawMessage) (Value, error) {
	raw = bytes.TrimSpace(raw)
	if dotnet.IsNull(raw) {
		switch kind {
		case KindInt:
			return IntValue(0), nil
		case KindLong:
			return LongValue(0), nil
		case KindDouble:
			return DoubleValue(0), nil
		case KindBool:
			return BoolValue(false), nil
		}
		return NullValue(kind), nil
	}
	switch kind {
	case KindString:
		if raw[0] != '"' {
			return Value{}, fmt.Errorf("is %s, not a string (quote it)", dotnet.JSONKind(raw))
		}
		var s string
		_ = json.Unmarshal(raw, &s)
		return StringValue(s), nil
	case KindInt:
		n, err := dotnet.ReadInt(raw, 32)
		if err != nil {
			return Value{}, err
		}
		return IntValue(int32(n)), nil
	case KindLong:
		n, err := dotnet.ReadInt(raw, 64)
		if err != nil {
			return Value{}, err
		}
		return LongValue(n), nil
	case KindDouble:
		f, err := dotnet.ReadDouble(raw)
		if err != nil {
			return Value{}, err
		}
		if math.IsInf(f, 0) && raw[0] != '"' {
			return Value{}, errors.New("is out of a double's range")
		}
		return DoubleValue(f), nil
	case KindBool:
		switch string(raw) {
		case "true":
			return BoolValue(true), nil
		case "false":
			return BoolValue(false), nil
		}
		return Value{}, fmt.Errorf("is %s, not true or false", dotnet.JSONKind(raw))
	case KindDateTime:
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return Value{}, fmt.Errorf("is %s, not a date", dotnet.JSONKind(raw))
		}
		d, ok := dotnet.ParseDateLoose(s)
		if !ok {
			return Value{}, errors.New(`is not an ISO 8601 date and time (e.g. "2024-05-01T10:00:00Z")`)
		}
		return dateTimeValue(d), nil
	case KindTimeSpan:
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return Value{}, fmt.Errorf(`is %s, not a time span (quote it, e.g. "00:00:30")`, dotnet.JSONKind(raw))
		}
		d, err := dotnet.ParseTimeSpan(s)
		if err != nil {
			return Value{}, err
		}
		return TimeSpanValue(d), nil
	}
	return Value{}, fmt.Errorf("no default for %s", kind)
}

// jsonText turns a declared JSON value into the text Fig.Client sends: a
// string must hold valid JSON and is kept as written; a YAML mapping or
// list becomes indented JSON (two spaces, as Newtonsoft's
// Formatting.Indented; YAML does not keep key order, so keys are sorted).
func jsonText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if raw[0] == '"' {
		var s string
		_ = json.Unmarshal(raw, &s)
		if _, err := dotnet.FlattenJSON(s); err != nil {
			return "", fmt.Errorf("is not JSON Fig.Client can read: %w", err)
		}
		return s, nil
	}
	if raw[0] != '{' && raw[0] != '[' {
		return "", fmt.Errorf("is %s; a JSON setting holds an object or an array", dotnet.JSONKind(raw))
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return "", err
	}
	return b.String(), nil
}
