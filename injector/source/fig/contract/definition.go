package contract

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
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

// Separator joins the segments of a nested setting's name
// (Constants.SettingPathSeparator); .NET configuration keys use ":".
const Separator = "->"

// MaxNameLength is Fig's limit on client, setting and column names
// (NVARCHAR(255), SettingDefinitionFieldLimits), in UTF-16 code units.
const MaxNameLength = 255

// rowType is the "$type" of a data-grid row (Dictionary<string, object>).
const rowType = "System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib"

// The "$type"s of the registration contracts.
const (
	typeClientDefinition  = "Fig.Contracts.SettingDefinitions.SettingsClientDefinitionDataContract, Fig.Contracts"
	typeSettingDefinition = "Fig.Contracts.SettingDefinitions.SettingDefinitionDataContract, Fig.Contracts"
	typeDataGridDef       = "Fig.Contracts.SettingDefinitions.DataGridDefinitionDataContract, Fig.Contracts"
	typeDataGridColumn    = "Fig.Contracts.SettingDefinitions.DataGridColumnDataContract, Fig.Contracts"
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
		case dotnet.UTF16Len(s.Name) > MaxNameLength:
			return fmt.Errorf("%s: the name is longer than %d characters", where, MaxNameLength)
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
				if strings.TrimSpace(c.Name) == "" || dotnet.UTF16Len(c.Name) > MaxNameLength {
					return fmt.Errorf("%s: column names must be 1 to %d characters", where, MaxNameLength)
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
	var w dotnet.Writer
	w.Open(typeClientDefinition)
	w.Key("Name")
	w.Str(clientName)
	w.Key("Description")
	w.StrOrNull(d.Description)
	w.Key("Instance")
	w.StrOrNull(d.Instance)
	w.Key("HasDisplayScripts")
	w.Bool(false)
	w.Key("Settings")
	w.OpenArray()
	for _, s := range d.Settings {
		writeSettingDefinition(&w, s)
	}
	w.CloseArray()
	w.Key("CustomActions")
	w.EmptyArray()
	w.Key("ClientSettingOverrides")
	writeOverrides(&w, d.Overrides)
	w.Key("ClientVersion")
	w.StrOrNull(d.ClientVersion)
	w.Key("SettingMigrationResults")
	w.EmptyArray()
	w.Key("Verifications")
	w.EmptyArray()
	w.Close()
	return w.Bytes()
}

// writeSettingDefinition writes the properties of SettingDefinitionDataContract
// in declaration order (contracts/fig-api.md §2.2).
func writeSettingDefinition(w *dotnet.Writer, s SettingDefinition) {
	w.Open(typeSettingDefinition)
	w.Key("Name")
	w.Str(s.Name)
	w.Key("Description")
	w.Str(s.Description)
	w.Key("IsSecret")
	w.Bool(s.IsSecret)
	w.Key("ValueType")
	w.Str(s.ValueType)
	w.Key("Value")
	w.Null()
	w.Key("DefaultValue")
	writeValue(w, s.DefaultValue)
	w.Key("ValidationRegex")
	w.StrOrNull(s.ValidationRegex)
	w.Key("ValidationExplanation")
	w.StrOrNull(s.ValidationExplanation)
	w.Key("ValidValues")
	w.Strings(s.ValidValues)
	w.Key("Group")
	w.StrOrNull(s.Group)
	w.Key("DisplayOrder")
	w.IntOrNull(s.DisplayOrder)
	w.Key("Advanced")
	w.Bool(s.Advanced)
	w.Key("LookupTableKey")
	w.Null()
	w.Key("EditorLineCount")
	w.IntOrNull(s.EditorLineCount)
	w.Key("JsonSchema")
	w.StrOrNull(s.JSONSchema)
	w.Key("DataGridDefinition")
	if s.DataGrid == nil {
		w.Null()
	} else {
		w.Open(typeDataGridDef)
		w.Key("Columns")
		w.OpenArray()
		for _, c := range s.DataGrid.Columns {
			w.Open(typeDataGridColumn)
			w.Key("Name")
			w.Str(c.Name)
			w.Key("ValueType")
			w.Str(c.ValueType)
			w.Key("ValidValues")
			w.Strings(c.ValidValues)
			w.Key("EditorLineCount")
			w.IntOrNull(c.EditorLineCount)
			w.Key("IsReadOnly")
			w.Bool(c.IsReadOnly)
			w.Key("ValidationRegex")
			w.StrOrNull(c.ValidationRegex)
			w.Key("ValidationExplanation")
			w.StrOrNull(c.ValidationExplanation)
			w.Key("IsSecret")
			w.Bool(c.IsSecret)
			w.Close()
		}
		w.CloseArray()
		w.Key("IsLocked")
		w.Bool(s.DataGrid.IsLocked)
		w.Close()
	}
	w.Key("EnablesSettings")
	w.Null()
	w.Key("SupportsLiveUpdate")
	w.Bool(s.SupportsLiveUpdate)
	w.Key("LastChanged")
	w.Null()
	w.Key("CategoryName")
	w.Null()
	w.Key("CategoryColor")
	w.Null()
	w.Key("DisplayScript")
	w.Null()
	w.Key("IsExternallyManaged")
	w.Bool(false)
	w.Key("Classification")
	w.Int(int64(s.Classification))
	w.Key("EnvironmentSpecific")
	w.Null()
	w.Key("LookupKeySettingName")
	w.Null()
	w.Key("Indent")
	w.Null()
	w.Key("DependsOnProperty")
	w.Null()
	w.Key("DependsOnValidValues")
	w.Null()
	w.Key("Heading")
	w.Null()
	w.Key("InitOnlyExport")
	w.Null()
	w.Key("MigrateFrom")
	w.Null()
	w.Key("MigrateFromMigrationMethod")
	w.Null()
	w.Close()
}

// writeValue writes a value contract, {"$type": …, "Value": …}; data-grid
// rows are objects with the dictionary "$type" first.
func writeValue(w *dotnet.Writer, v Value) {
	if v.Kind == KindNone {
		w.Null()
		return
	}
	w.Open(v.Kind.typeName())
	w.Key("Value")
	switch {
	case v.Kind == KindDataGrid && v.Rows != nil:
		w.OpenArray()
		for _, row := range v.Rows {
			w.Open(rowType)
			for _, c := range row {
				w.Key(c.Column)
				w.Raw(c.Raw)
			}
			w.Close()
		}
		w.CloseArray()
	case v.Raw == nil:
		w.Null()
	default:
		w.Raw(v.Raw)
	}
	w.Close()
}
