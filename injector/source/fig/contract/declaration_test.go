package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
)

// node is a JSON value that remembers member order.
type node struct {
	members []dotnet.Member // objects
	items   []node          // arrays
	scalar  any             // everything else (json.Number for numbers)
	kind    byte            // '{', '[' or 0
}

func parseNode(t *testing.T, raw []byte) node {
	t.Helper()
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case '{':
		members, _, err := dotnet.ReadObject(raw)
		if err != nil {
			t.Fatal(err)
		}
		return node{kind: '{', members: members}
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			t.Fatal(err)
		}
		n := node{kind: '['}
		for _, it := range items {
			n.items = append(n.items, parseNode(t, it))
		}
		return n
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return node{scalar: v}
}

// fixtureBExtras are the SettingDefinitionDataContract properties the
// trimmed Fixture B leaves out, with the null/default values Fig.Client
// sends for them.
var fixtureBExtras = map[string]string{
	"Value": "null", "ValidationRegex": "null", "ValidationExplanation": "null", "ValidValues": "null", "Group": "null",
	"Advanced": "false", "LookupTableKey": "null", "EditorLineCount": "null", "JsonSchema": "null", "DataGridDefinition": "null",
	"EnablesSettings": "null", "LastChanged": "null", "CategoryName": "null", "CategoryColor": "null", "DisplayScript": "null",
	"IsExternallyManaged": "false", "EnvironmentSpecific": "null", "LookupKeySettingName": "null", "Indent": "null",
	"DependsOnProperty": "null", "DependsOnValidValues": "null", "Heading": "null", "InitOnlyExport": "null",
	"MigrateFrom": "null", "MigrateFromMigrationMethod": "null",
}

// settingDefinitionOrder is SettingDefinitionDataContract's declaration
// order (contracts/fig-api.md §2.2), the order Newtonsoft writes.
var settingDefinitionOrder = []string{"$type", "Name", "Description", "IsSecret", "ValueType", "Value", "DefaultValue",
	"ValidationRegex", "ValidationExplanation", "ValidValues", "Group", "DisplayOrder", "Advanced", "LookupTableKey",
	"EditorLineCount", "JsonSchema", "DataGridDefinition", "EnablesSettings", "SupportsLiveUpdate", "LastChanged",
	"CategoryName", "CategoryColor", "DisplayScript", "IsExternallyManaged", "Classification", "EnvironmentSpecific",
	"LookupKeySettingName", "Indent", "DependsOnProperty", "DependsOnValidValues", "Heading", "InitOnlyExport",
	"MigrateFrom", "MigrateFromMigrationMethod"}

// covers checks that got contains everything want shows, with "$type"
// first wherever want has one, and that got's extra members are known
// defaults.
func covers(t *testing.T, path string, want, got node) {
	t.Helper()
	if want.kind != got.kind {
		t.Errorf("%s: kind %q, want %q", path, got.kind, want.kind)
		return
	}
	switch want.kind {
	case '{':
		if len(want.members) > 0 && want.members[0].Key == "$type" && (len(got.members) == 0 || got.members[0].Key != "$type") {
			t.Errorf("%s: \"$type\" is not the first dotnet.Member", path)
		}
		gotByKey := map[string]json.RawMessage{}
		for _, m := range got.members {
			if _, dup := gotByKey[m.Key]; dup {
				t.Errorf("%s: %q written twice", path, m.Key)
			}
			gotByKey[m.Key] = m.Raw
		}
		wantKeys := map[string]bool{}
		for _, m := range want.members {
			wantKeys[m.Key] = true
			g, ok := gotByKey[m.Key]
			if !ok {
				t.Errorf("%s: missing %q", path, m.Key)
				continue
			}
			covers(t, path+"."+m.Key, parseNode(t, m.Raw), parseNode(t, g))
		}
		for _, m := range got.members {
			if wantKeys[m.Key] {
				continue
			}
			def, known := fixtureBExtras[m.Key]
			if !known || string(m.Raw) != def {
				t.Errorf("%s: extra dotnet.Member %q = %s is not one Fig.Client sends with a null/default value", path, m.Key, m.Raw)
			}
		}
	case '[':
		if len(want.items) != len(got.items) {
			t.Errorf("%s: %d items, want %d", path, len(got.items), len(want.items))
			return
		}
		for i := range want.items {
			covers(t, fmt.Sprintf("%s[%d]", path, i), want.items[i], got.items[i])
		}
	default:
		if diff := cmp.Diff(want.scalar, got.scalar); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", path, diff)
		}
	}
}

func TestDeclarationMatchesFixtureB(t *testing.T) {
	def, err := LoadDeclaration("testdata/declaration_b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body := EncodeDefinition("MyApp", def)
	got := parseNode(t, body)
	covers(t, "body", parseNode(t, readTestdata(t, "fixture_b_register.json")), got)

	// Top-level members in Fixture B's order; setting members in the
	// contract's declaration order; "$type" first in every object.
	var topKeys []string
	for _, m := range got.members {
		topKeys = append(topKeys, m.Key)
	}
	wantTop := []string{"$type", "Name", "Description", "Instance", "HasDisplayScripts", "Settings", "CustomActions",
		"ClientSettingOverrides", "ClientVersion", "SettingMigrationResults", "Verifications"}
	if diff := cmp.Diff(wantTop, topKeys); diff != "" {
		t.Errorf("top-level order (-want +got):\n%s", diff)
	}
	var settings []json.RawMessage
	for _, m := range got.members {
		if m.Key == "Settings" {
			_ = json.Unmarshal(m.Raw, &settings)
		}
	}
	for i, s := range settings {
		members, _, _ := dotnet.ReadObject(s)
		var keys []string
		for _, m := range members {
			keys = append(keys, m.Key)
		}
		if diff := cmp.Diff(settingDefinitionOrder, keys); diff != "" {
			t.Errorf("setting %d dotnet.Member order (-want +got):\n%s", i, diff)
		}
	}
	var checkTypes func(path string, raw []byte)
	checkTypes = func(path string, raw []byte) {
		n := parseNode(t, raw)
		switch n.kind {
		case '{':
			if len(n.members) == 0 || n.members[0].Key != "$type" {
				t.Errorf("%s: object without \"$type\" first", path)
			}
			for _, m := range n.members {
				checkTypes(path+"."+m.Key, m.Raw)
			}
		case '[':
			var items []json.RawMessage
			_ = json.Unmarshal(raw, &items)
			for i, it := range items {
				checkTypes(fmt.Sprintf("%s[%d]", path, i), it)
			}
		}
	}
	checkTypes("body", body)
}

func TestDeclarationTypes(t *testing.T) {
	yaml := `
description: Kitchen sink
settings:
  - {name: S, type: string, description: d, default: "x", validValues: [x, z], group: G, advanced: true, displayOrder: 9, supportsLiveUpdate: false, classification: Functional, validationRegex: "^x$", validationExplanation: "x only"}
  - {name: I, type: int, description: d}
  - {name: L, type: long, description: d, default: 9000000000}
  - {name: D, type: double, description: d, default: 30}
  - {name: B, type: bool, description: d, default: true}
  - {name: T, type: datetime, description: d, default: 2024-05-01T10:00:00.1200Z}
  - {name: U, type: datetime, description: d}
  - {name: P, type: timespan, description: d, default: "1.02:03:04.5"}
  - {name: Q, type: timespan, description: d, default: 90s}
  - name: A->J
    type: json
    description: d
    default: {Port: 5432, Host: db}
  - {name: K, type: json, description: d, default: '{"a": [1]}', jsonSchema: {type: object}}
  - {name: E, type: json, description: d}
  - name: G
    type: datagrid
    description: d
    columns:
      - {name: Host, type: string, secret: true, readOnly: true}
      - {name: Port, type: int}
      - {name: Kind, validValues: [a, b]}
    default:
      - {Port: 80, Host: h1}
      - {Host: h2, Kind: b}
  - {name: Nothing, type: datagrid, description: d}
`
	def, err := ParseDeclaration([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Name, ValueType, Default, Schema string }
	var got []row
	for _, s := range def.Settings {
		var w dotnet.Writer
		writeValue(&w, s.DefaultValue)
		got = append(got, row{s.Name, s.ValueType, string(w.Bytes()), s.JSONSchema})
	}
	ct := func(k string) string {
		return `{"$type":"Fig.Contracts.Settings.` + k + `SettingDataContract, Fig.Contracts","Value":`
	}
	want := []row{
		{"S", TypeString, ct("String") + `"x"}`, ""},
		{"I", TypeInt32, ct("Int") + `0}`, ""},
		{"L", TypeInt64, ct("Long") + `9000000000}`, ""},
		{"D", TypeDouble, ct("Double") + `30.0}`, ""},
		{"B", TypeBoolean, ct("Bool") + `true}`, ""},
		{"T", TypeDateTime, ct("DateTime") + `"2024-05-01T10:00:00.12Z"}`, ""},
		{"U", TypeDateTime, ct("DateTime") + `null}`, ""},
		{"P", TypeTimeSpan, ct("TimeSpan") + `"1.02:03:04.5000000"}`, ""},
		{"Q", TypeTimeSpan, ct("TimeSpan") + `"00:01:30"}`, ""},
		{"A->J", TypeString, ct("String") + `"{\n  \"Host\": \"db\",\n  \"Port\": 5432\n}"}`, "{}"},
		{"K", TypeString, ct("String") + `"{\"a\": [1]}"}`, "{\n  \"type\": \"object\"\n}"},
		{"E", TypeString, ct("String") + `null}`, "{}"},
		{"G", TypeDataGrid, ct("DataGrid") + `[{"$type":` + rowTypeJSON + `,"Host":"h1","Port":80,"Kind":null},{"$type":` + rowTypeJSON + `,"Host":"h2","Port":null,"Kind":"b"}]}`, ""},
		{"Nothing", TypeDataGrid, ct("DataGrid") + `null}`, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	s := def.Settings[0]
	if *s.DisplayOrder != 9 || s.SupportsLiveUpdate || !s.Advanced || s.Group != "G" || s.Classification != ClassificationFunctional ||
		s.ValidationRegex != "^x$" || s.ValidationExplanation != "x only" || !cmp.Equal(s.ValidValues, []string{"x", "z"}) {
		t.Errorf("setting S = %+v", s)
	}
	if *def.Settings[1].DisplayOrder != 2 || !def.Settings[1].SupportsLiveUpdate {
		t.Errorf("defaults not applied: %+v", def.Settings[1])
	}
	cols := def.Settings[12].DataGrid.Columns
	wantCols := []DataGridColumn{
		{Name: "Host", ValueType: TypeString, IsReadOnly: true, IsSecret: true},
		{Name: "Port", ValueType: TypeInt32},
		{Name: "Kind", ValueType: TypeString, ValidValues: []string{"a", "b"}},
	}
	if diff := cmp.Diff(wantCols, cols); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if def.Settings[13].DataGrid.Columns[0].Name != "Values" {
		t.Errorf("default column %+v", def.Settings[13].DataGrid.Columns)
	}
}

func TestDeclarationErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown field", "settings:\n- {name: A, type: string, description: d, colums: []}", []string{`settings[0].colums`, "fix:"}},
		{"unknown top field", "setings: []", []string{`setings`, "fix:"}},
		{"duplicate field", "settings:\n- name: A\n  name: B\n  type: string\n  description: d", []string{"fix:"}},
		{"no settings", "description: x", []string{"settings: none declared"}},
		{"no name", "settings:\n- {type: string, description: d}", []string{"settings[0].name: missing"}},
		{"bad nesting", "settings:\n- {name: 'A->', type: string, description: d}", []string{"settings[0].name", `"->"`}},
		{"bad type", "settings:\n- {name: A, type: integer, description: d}", []string{`settings[0].type (setting "A"): "integer" is not a setting type`, "string, int, long"}},
		{"no description", "settings:\n- {name: A, type: string}", []string{`settings[0].description (setting "A"): missing`, "Fig requires"}},
		{"secret int", "settings:\n- {name: A, type: int, secret: true, description: d}", []string{"settings[0].secret", "only string"}},
		{"int default", "settings:\n- {name: A, type: int, description: d, default: 3000000000}", []string{"settings[0].default", "32-bit"}},
		{"string default number", "settings:\n- {name: A, type: string, description: d, default: 5}", []string{"settings[0].default", "quote it"}},
		{"default not valid", "settings:\n- {name: A, type: string, description: d, default: z, validValues: [x]}", []string{"validValues"}},
		{"bad date", "settings:\n- {name: A, type: datetime, description: d, default: tomorrow}", []string{"settings[0].default", "ISO 8601"}},
		{"bad timespan", "settings:\n- {name: A, type: timespan, description: d, default: 30}", []string{"settings[0].default", "quote it"}},
		{"bad json", "settings:\n- {name: A, type: json, description: d, default: '{x'}", []string{"settings[0].default", "JSON"}},
		{"schema on string", "settings:\n- {name: A, type: string, description: d, jsonSchema: {}}", []string{"settings[0].jsonSchema"}},
		{"columns on string", "settings:\n- {name: A, type: string, description: d, columns: []}", []string{"settings[0].columns"}},
		{"bad column type", "settings:\n- {name: A, type: datagrid, description: d, columns: [{name: C, type: json}]}", []string{"settings[0].columns[0].type"}},
		{"unknown cell", "settings:\n- {name: A, type: datagrid, description: d, columns: [{name: C}], default: [{D: 1}]}", []string{"settings[0].default[0]", `"D" is not a column`}},
		{"cell type", "settings:\n- {name: A, type: datagrid, description: d, columns: [{name: C, type: int}], default: [{C: x}]}", []string{"settings[0].default[0].C"}},
		{"duplicate names", "settings:\n- {name: A, type: string, description: d}\n- {name: a, type: int, description: d}", []string{"settings[1].name", "settings[0]"}},
		{"classification", "settings:\n- {name: A, type: string, description: d, classification: secret}", []string{"settings[0].classification"}},
		{"not yaml", "settings: [", []string{"not valid YAML"}},
		{"YAML 1.1 boolean as name", "settings:\n- {name: N, type: string, description: d}", []string{"settings.name", "quote"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDeclaration([]byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadDeclarationNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.yaml")
	if err := os.WriteFile(path, []byte("settings: []"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDeclaration(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("error = %v", err)
	}
	if _, err := LoadDeclaration(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file accepted")
	}
}

// readTestdata reads a fixture of contracts/fig-api.md kept in testdata.
func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(data)
}

// rowTypeJSON is a data-grid row's "$type" as JSON.
const rowTypeJSON = `"` + rowType + `"`
