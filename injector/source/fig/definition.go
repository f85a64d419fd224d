package fig

import (
	"errors"
	"fmt"
	"strings"
)

// ValueType strings for SettingDefinition.ValueType. Fig.Client writes
// assembly-qualified names; the API resolves these short forms too
// (ShortNameTypeJsonConverter). Data grids use the full name of
// List<Dictionary<string, object>>, as in the contract's Fixture B.
const (
	TypeString   = "System.String"
	TypeInt32    = "System.Int32"
	TypeInt64    = "System.Int64"
	TypeDouble   = "System.Double"
	TypeBoolean  = "System.Boolean"
	TypeDateTime = "System.DateTime"
	TypeTimeSpan = "System.TimeSpan"
	TypeDataGrid = "System.Collections.Generic.List`1[[System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib]], System.Private.CoreLib"
)

// rowType is the "$type" of a data-grid row (Dictionary<string, object>).
const rowType = "System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib"

// The "$type"s of the registration contracts.
const (
	typeClientDefinition  = "Fig.Contracts.SettingDefinitions.SettingsClientDefinitionDataContract, Fig.Contracts"
	typeSettingDefinition = "Fig.Contracts.SettingDefinitions.SettingDefinitionDataContract, Fig.Contracts"
	typeDataGridDef       = "Fig.Contracts.SettingDefinitions.DataGridDefinitionDataContract, Fig.Contracts"
	typeDataGridColumn    = "Fig.Contracts.SettingDefinitions.DataGridColumnDataContract, Fig.Contracts"
	typeDescriptionUpdate = "Fig.Contracts.SettingClients.ClientDescriptionUpdateDataContract, Fig.Contracts"
)

// Classification is Fig's setting classification, sent as its integer.
type Classification int

// The classifications.
const (
	ClassificationTechnical Classification = iota
	ClassificationFunctional
	ClassificationSpecial
)

// Definition is what a client registers (SettingsClientDefinitionDataContract
// without the name, which is the Client's).
type Definition struct {
	// Description is the client's description (markdown); "" is sent as null.
	Description string
	// Instance is the body's Instance: the instance client setting
	// overrides apply to. Default: the Client's instance, as Fig.Client
	// sends its resolved instance; "" is sent as null.
	Instance string
	// ClientVersion is recorded in Fig's registration history; default
	// Options.ClientVersion.
	ClientVersion string
	// Settings are the setting definitions, in display order.
	Settings []SettingDefinition
	// Overrides are sent as ClientSettingOverrides (see Overrides).
	Overrides []SettingOverride
}

// SettingDefinition is SettingDefinitionDataContract; properties fig-injector
// does not model are sent with Fig.Client's null or default values.
type SettingDefinition struct {
	// Name is the setting name; "->" nests.
	Name string
	// Description is required by Fig (markdown).
	Description string
	// IsSecret is allowed on strings only.
	IsSecret bool
	// ValueType is one of the Type* constants.
	ValueType string
	// DefaultValue becomes the value on first registration. Its Kind is the
	// contract written ("$type"); a zero Value is sent as null.
	DefaultValue Value
	// ValidationRegex and ValidationExplanation validate values in Fig's UI.
	ValidationRegex       string
	ValidationExplanation string
	// ValidValues makes the setting a drop-down (nil: none).
	ValidValues []string
	// Group shares the setting's value across clients (initial registration only).
	Group string
	// DisplayOrder orders settings in the UI.
	DisplayOrder *int
	// Advanced hides the setting behind Fig's "advanced" toggle.
	Advanced bool
	// EditorLineCount makes a multi-line editor.
	EditorLineCount *int
	// JSONSchema makes a string a JSON setting (Fig serves it as
	// JsonSettingDataContract).
	JSONSchema string
	// DataGrid describes a data grid's columns (data grids only).
	DataGrid *DataGridDefinition
	// SupportsLiveUpdate false asks for a restart on change.
	SupportsLiveUpdate bool
	// Classification is Technical, Functional or Special.
	Classification Classification
}

// DataGridDefinition is DataGridDefinitionDataContract.
type DataGridDefinition struct {
	Columns  []DataGridColumn
	IsLocked bool
}

// DataGridColumn is DataGridColumnDataContract.
type DataGridColumn struct {
	Name                  string
	ValueType             string
	ValidValues           []string
	EditorLineCount       *int
	IsReadOnly            bool
	ValidationRegex       string
	ValidationExplanation string
	IsSecret              bool
}

// Validate checks what Fig would reject with 400 (or Fig.Client refuse),
// so that a bad declaration fails before it is sent.
func (d Definition) Validate() error {
	seen := map[string]bool{}
	for i, s := range d.Settings {
		where := fmt.Sprintf("setting %d (%q)", i, s.Name)
		switch {
		case strings.TrimSpace(s.Name) == "":
			return fmt.Errorf("setting %d has no name", i)
		case utf16Len(s.Name) > maxNameLength:
			return fmt.Errorf("%s: the name is longer than %d characters", where, maxNameLength)
		case seen[strings.ToLower(s.Name)]:
			return fmt.Errorf("%s: the name is used twice (names are case-insensitive in .NET configuration)", where)
		case strings.TrimSpace(s.Description) == "":
			return fmt.Errorf("%s: Fig requires a description for every setting", where)
		case s.ValueType == "":
			return fmt.Errorf("%s: no value type", where)
		case s.IsSecret && s.ValueType != TypeString:
			return fmt.Errorf("%s: only string settings can be secret", where)
		case (s.ValueType == TypeDataGrid) != (s.DataGrid != nil):
			return fmt.Errorf("%s: a data grid needs a data-grid definition and only a data grid may have one", where)
		}
		seen[strings.ToLower(s.Name)] = true
		if s.DataGrid != nil {
			if len(s.DataGrid.Columns) == 0 {
				return fmt.Errorf("%s: a data grid needs at least one column", where)
			}
			for _, c := range s.DataGrid.Columns {
				if strings.TrimSpace(c.Name) == "" || utf16Len(c.Name) > maxNameLength {
					return fmt.Errorf("%s: column names must be 1 to %d characters", where, maxNameLength)
				}
			}
		}
	}
	if len(d.Settings) == 0 {
		return errors.New("the definition has no settings")
	}
	return nil
}

// EncodeDefinition is the body of POST /clients for clientName, as
// Fig.Client writes it with Newtonsoft (TypeNameHandling.Objects): "$type"
// first in every object, PascalCase, nulls included, every
// SettingDefinitionDataContract property in declaration order,
// ClientSettingOverrides as SettingDataContract objects, and CustomActions,
// SettingMigrationResults and Verifications as [] (never null; the server
// calls .Any() on ClientSettingOverrides without a null check).
func EncodeDefinition(clientName string, d Definition) []byte {
	var w jsonWriter
	w.open(typeClientDefinition)
	w.key("Name")
	w.str(clientName)
	w.key("Description")
	w.strOrNull(d.Description)
	w.key("Instance")
	w.strOrNull(d.Instance)
	w.key("HasDisplayScripts")
	w.boolean(false)
	w.key("Settings")
	w.openArray()
	for _, s := range d.Settings {
		writeSettingDefinition(&w, s)
	}
	w.closeArray()
	w.key("CustomActions")
	w.emptyArray()
	w.key("ClientSettingOverrides")
	writeOverrides(&w, d.Overrides)
	w.key("ClientVersion")
	w.strOrNull(d.ClientVersion)
	w.key("SettingMigrationResults")
	w.emptyArray()
	w.key("Verifications")
	w.emptyArray()
	w.close()
	return w.b
}

// writeSettingDefinition writes the properties of SettingDefinitionDataContract
// in declaration order (contracts/fig-api.md §2.2).
func writeSettingDefinition(w *jsonWriter, s SettingDefinition) {
	w.open(typeSettingDefinition)
	w.key("Name")
	w.str(s.Name)
	w.key("Description")
	w.str(s.Description)
	w.key("IsSecret")
	w.boolean(s.IsSecret)
	w.key("ValueType")
	w.str(s.ValueType)
	w.key("Value")
	w.null()
	w.key("DefaultValue")
	writeValue(w, s.DefaultValue)
	w.key("ValidationRegex")
	w.strOrNull(s.ValidationRegex)
	w.key("ValidationExplanation")
	w.strOrNull(s.ValidationExplanation)
	w.key("ValidValues")
	w.strings(s.ValidValues)
	w.key("Group")
	w.strOrNull(s.Group)
	w.key("DisplayOrder")
	w.intOrNull(s.DisplayOrder)
	w.key("Advanced")
	w.boolean(s.Advanced)
	w.key("LookupTableKey")
	w.null()
	w.key("EditorLineCount")
	w.intOrNull(s.EditorLineCount)
	w.key("JsonSchema")
	w.strOrNull(s.JSONSchema)
	w.key("DataGridDefinition")
	if s.DataGrid == nil {
		w.null()
	} else {
		w.open(typeDataGridDef)
		w.key("Columns")
		w.openArray()
		for _, c := range s.DataGrid.Columns {
			w.open(typeDataGridColumn)
			w.key("Name")
			w.str(c.Name)
			w.key("ValueType")
			w.str(c.ValueType)
			w.key("ValidValues")
			w.strings(c.ValidValues)
			w.key("EditorLineCount")
			w.intOrNull(c.EditorLineCount)
			w.key("IsReadOnly")
			w.boolean(c.IsReadOnly)
			w.key("ValidationRegex")
			w.strOrNull(c.ValidationRegex)
			w.key("ValidationExplanation")
			w.strOrNull(c.ValidationExplanation)
			w.key("IsSecret")
			w.boolean(c.IsSecret)
			w.close()
		}
		w.closeArray()
		w.key("IsLocked")
		w.boolean(s.DataGrid.IsLocked)
		w.close()
	}
	w.key("EnablesSettings")
	w.null()
	w.key("SupportsLiveUpdate")
	w.boolean(s.SupportsLiveUpdate)
	w.key("LastChanged")
	w.null()
	w.key("CategoryName")
	w.null()
	w.key("CategoryColor")
	w.null()
	w.key("DisplayScript")
	w.null()
	w.key("IsExternallyManaged")
	w.boolean(false)
	w.key("Classification")
	w.integer(int64(s.Classification))
	w.key("EnvironmentSpecific")
	w.null()
	w.key("LookupKeySettingName")
	w.null()
	w.key("Indent")
	w.null()
	w.key("DependsOnProperty")
	w.null()
	w.key("DependsOnValidValues")
	w.null()
	w.key("Heading")
	w.null()
	w.key("InitOnlyExport")
	w.null()
	w.key("MigrateFrom")
	w.null()
	w.key("MigrateFromMigrationMethod")
	w.null()
	w.close()
}

// writeValue writes a value contract, {"$type": …, "Value": …}; data-grid
// rows are objects with the dictionary "$type" first.
func writeValue(w *jsonWriter, v Value) {
	if v.Kind == KindNone {
		w.null()
		return
	}
	w.open(v.Kind.typeName())
	w.key("Value")
	switch {
	case v.Kind == KindDataGrid && v.Rows != nil:
		w.openArray()
		for _, row := range v.Rows {
			w.open(rowType)
			for _, c := range row {
				w.key(c.Column)
				w.raw(c.Raw)
			}
			w.close()
		}
		w.closeArray()
	case v.Raw == nil:
		w.null()
	default:
		w.raw(v.Raw)
	}
	w.close()
}

// encodeDescription is ClientDescriptionUpdateDataContract as Fig.Client
// writes it (with its "$type").
func encodeDescription(description string) []byte {
	var w jsonWriter
	w.open(typeDescriptionUpdate)
	w.key("Description")
	w.str(description)
	w.close()
	return w.b
}
