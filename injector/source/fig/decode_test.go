package fig

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
)

const rowTypeJSON = `"System.Collections.Generic.Dictionary` + "`" + `2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib"`

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.TrimSpace(string(data)))
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// wireOnly compares values by what travelled (Kind, Raw, Rows); the typed
// value read from it is checked through Map.
var wireOnly = cmpopts.IgnoreUnexported(contract.Value{}, contract.Cell{})

// fixtureCSettings is what Fixture C decodes to.
func fixtureCSettings() []Setting {
	return []Setting{
		{Name: "Location", Value: contract.Value{Kind: contract.KindString, Raw: raw(`"Melbourne"`)}},
		{Name: "ApiKey", IsSecret: true, Value: contract.Value{Kind: contract.KindString, Raw: raw(`"plain-text-secret"`)}},
		{Name: "RetryCount", Value: contract.Value{Kind: contract.KindInt, Raw: raw(`3`)}},
		{Name: "MaxBytes", Value: contract.Value{Kind: contract.KindLong, Raw: raw(`9000000000`)}},
		{Name: "Ratio", Value: contract.Value{Kind: contract.KindDouble, Raw: raw(`0.5`)}},
		{Name: "Enabled", Value: contract.Value{Kind: contract.KindBool, Raw: raw(`true`)}},
		{Name: "Since", Value: contract.Value{Kind: contract.KindDateTime, Raw: raw(`"2024-05-01T10:00:00Z"`)}},
		{Name: "Timeout", Value: contract.Value{Kind: contract.KindTimeSpan, Raw: raw(`"00:00:30"`)}},
		{Name: "Db", Value: contract.Value{Kind: contract.KindJSON, Raw: raw(`"{\"Host\":\"db\",\"Port\":5432}"`)}},
		{Name: "Hosts", Value: contract.Value{Kind: contract.KindDataGrid,
			Raw:  raw(`[{"$type":` + rowTypeJSON + `,"Values":"a.example"},{"$type":` + rowTypeJSON + `,"Values":"b.example"}]`),
			Rows: []contract.Row{{{Column: "Values", Raw: raw(`"a.example"`)}}, {{Column: "Values", Raw: raw(`"b.example"`)}}}}},
		{Name: "Logins", Value: contract.Value{Kind: contract.KindDataGrid,
			Raw:  raw(`[{"$type":` + rowTypeJSON + `,"Username":"user1","Password":"abc123","AnotherSecret":null}]`),
			Rows: []contract.Row{{{Column: "Username", Raw: raw(`"user1"`)}, {Column: "Password", Raw: raw(`"abc123"`)}, {Column: "AnotherSecret", Raw: raw(`null`)}}}}},
		{Name: "MessageBus->Auth->Username", Value: contract.Value{Kind: contract.KindString}},
	}
}

func TestDecodeFixtureC(t *testing.T) {
	got, err := Decode(readFixture(t, "fixture_c_settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fixtureCSettings(), got, wireOnly); diff != "" {
		t.Errorf("Decode(Fixture C) mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeVariants(t *testing.T) {
	str := `"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts"`
	tests := []struct {
		name string
		body string
		want []Setting
	}{
		{
			name: "PascalCase (Newtonsoft default resolver)",
			body: `[{"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","Name":"Location","IsSecret":true,"Value":{"$type":` + str + `,"Value":"Melbourne"}}]`,
			want: []Setting{{Name: "Location", IsSecret: true, Value: contract.Value{Kind: contract.KindString, Raw: raw(`"Melbourne"`)}}},
		},
		{
			name: "Fig 3.x inner value null",
			body: `[{"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","name":"A","isSecret":false,"value":{"$type":` + str + `,"value":null}}]`,
			want: []Setting{{Name: "A", Value: contract.Value{Kind: contract.KindString}}},
		},
		{
			name: "Fig 3.x setting value null",
			body: `[{"name":"A","isSecret":false,"value":null}]`,
			want: []Setting{{Name: "A"}},
		},
		{
			name: "setting value missing",
			body: `[{"name":"A"}]`,
			want: []Setting{{Name: "A"}},
		},
		{
			name: "mixed case and last duplicate wins",
			body: `[{"NAME":"first","name":"A","ISSECRET":true,"value":{"$type":` + str + `,"VALUE":"x"}}]`,
			want: []Setting{{Name: "A", IsSecret: true, Value: contract.Value{Kind: contract.KindString, Raw: raw(`"x"`)}}},
		},
		{
			name: "$type not first, full assembly name, whitespace",
			body: `[{"name":"N","value":{"value": 42 ,"$type":"Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts, Version=4.0.0.0, Culture=neutral"}}]`,
			want: []Setting{{Name: "N", Value: contract.Value{Kind: contract.KindInt, Raw: raw(`42`)}}},
		},
		{
			name: "long keeps its digits",
			body: `[{"name":"L","value":{"$type":"Fig.Contracts.Settings.LongSettingDataContract, Fig.Contracts","value":9007199254740993}}]`,
			want: []Setting{{Name: "L", Value: contract.Value{Kind: contract.KindLong, Raw: raw(`9007199254740993`)}}},
		},
		{
			name: "data grid row keeps column order, repeated key keeps first place and last value",
			body: `[{"name":"G","value":{"$type":"Fig.Contracts.Settings.DataGridSettingDataContract, Fig.Contracts","value":[{"$type":` + rowTypeJSON + `,"Z":1,"A":[1,2],"Z":3}]}}]`,
			want: []Setting{{Name: "G", Value: contract.Value{Kind: contract.KindDataGrid,
				Raw:  raw(`[{"$type":` + rowTypeJSON + `,"Z":1,"A":[1,2],"Z":3}]`),
				Rows: []contract.Row{{{Column: "Z", Raw: raw(`3`)}, {Column: "A", Raw: raw(`[1,2]`)}}}}}},
		},
		{
			name: "empty data grid",
			body: `[{"name":"G","value":{"$type":"Fig.Contracts.Settings.DataGridSettingDataContract, Fig.Contracts","value":[]}}]`,
			want: []Setting{{Name: "G", Value: contract.Value{Kind: contract.KindDataGrid, Raw: raw(`[]`), Rows: []contract.Row{}}}},
		},
		{
			name: "null body is no settings",
			body: `null`,
			want: []Setting{},
		},
		{
			name: "byte order mark",
			body: "\xef\xbb\xbf[]",
			want: []Setting{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, wireOnly); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	typ := func(k string) string { return `"Fig.Contracts.Settings.` + k + `SettingDataContract, Fig.Contracts"` }
	tests := []struct {
		name, body string
		want       []string // substrings of the error
	}{
		{"not JSON", `<html>`, []string{"not valid JSON"}},
		{"not an array", `{"name":"A"}`, []string{"not a JSON array", "an object"}},
		{"unknown type", `[{"name":"Colour","value":{"$type":"Fig.Contracts.Settings.ColorSettingDataContract, Fig.Contracts","value":"red"}}]`,
			[]string{`"Colour"`, `unknown value type "Fig.Contracts.Settings.ColorSettingDataContract"`}},
		{"no $type", `[{"name":"A","value":{"value":"x"}}]`, []string{`"A"`, `no "$type"`}},
		{"no name", `[{"value":null}]`, []string{"setting 0", "no name"}},
		{"null setting", `[null]`, []string{"setting 0", "null"}},
		{"int overflow", `[{"name":"N","value":{"$type":` + typ("Int") + `,"value":3000000000}}]`, []string{`"N"`, "32-bit integer"}},
		{"int fraction", `[{"name":"N","value":{"$type":` + typ("Int") + `,"value":1.5}}]`, []string{"32-bit integer"}},
		{"bool as object", `[{"name":"B","value":{"$type":` + typ("Bool") + `,"value":{}}}]`, []string{"not a boolean"}},
		{"date", `[{"name":"D","value":{"$type":` + typ("DateTime") + `,"value":"yesterday"}}]`, []string{`"D"`, "ISO 8601"}},
		{"grid not array", `[{"name":"G","value":{"$type":` + typ("DataGrid") + `,"value":"x"}}]`, []string{"not an array of rows"}},
		{"grid null row", `[{"name":"G","value":{"$type":` + typ("DataGrid") + `,"value":[null]}}]`, []string{"row 0 is null"}},
		{"string as object", `[{"name":"S","value":{"$type":` + typ("String") + `,"value":{"a":1}}}]`, []string{"not a string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.body))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "red") || strings.Contains(err.Error(), "3000000000") || strings.Contains(err.Error(), "yesterday") {
				t.Errorf("error %q quotes a value", err)
			}
		})
	}
}

func TestDecodeLenientScalars(t *testing.T) {
	// Newtonsoft converts between strings and numbers or booleans when
	// reading a contract; so does Decode, and Map formats the result.
	typ := func(k string) string { return `"Fig.Contracts.Settings.` + k + `SettingDataContract, Fig.Contracts"` }
	body := `[` +
		`{"name":"I","value":{"$type":` + typ("Int") + `,"value":"42"}},` +
		`{"name":"B","value":{"$type":` + typ("Bool") + `,"value":"TRUE"}},` +
		`{"name":"D","value":{"$type":` + typ("Double") + `,"value":"NaN"}},` +
		`{"name":"S","value":{"$type":` + typ("String") + `,"value":1.0}},` +
		`{"name":"T","value":{"$type":` + typ("String") + `,"value":true}},` +
		`{"name":"N","value":{"$type":` + typ("Int") + `}}` +
		`]`
	settings, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got := entriesText(Map(settings, MapOptions{}))
	want := []string{"I=42", "B=True", "D=NaN", "S=1", "T=True", "N=0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestValueNeverPrints(t *testing.T) {
	v := contract.StringValue("hunter2-secret")
	s := Setting{Name: "P", Value: v}
	for _, out := range []string{
		fmt.Sprintf("%v", s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s), fmt.Sprintf("%s", v), fmt.Sprintf("%v", v.Rows), fmt.Sprintf("%v", contract.Cell{Column: "c", Raw: raw(`"hunter2-secret"`)}),
	} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("value leaked: %s", out)
		}
	}
}
