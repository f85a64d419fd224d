package contract

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// overridesDeclaration declares one setting of every kind an override can
// set, and a data grid, which it cannot.
const overridesDeclaration = `
settings:
  - {name: Location, type: string, description: d}
  - {name: ApiKey, type: string, secret: true, description: d}
  - {name: Limits->MaxItems, type: int, description: d}
  - {name: Big, type: long, description: d}
  - {name: Ratio, type: double, description: d}
  - {name: Enabled, type: bool, description: d}
  - {name: Since, type: datetime, description: d}
  - {name: Timeout, type: timespan, description: d}
  - {name: Routing, type: json, description: d}
  - {name: Hosts, type: datagrid, description: d}
`

// TestOverridesAreSentAsFigClientSendsThem: each text converted as
// ValueDataContractFactory converts an environment variable, under the
// declared name, in declaration order, with the setting's IsSecret, and
// encoded as SettingDataContract objects ("$type", Name, IsSecret, Value).
func TestOverridesAreSentAsFigClientSendsThem(t *testing.T) {
	def, err := ParseDeclaration([]byte(overridesDeclaration))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Overrides(def, map[string]string{
		"timeout": "00:01:30", "Enabled": " TRUE ", "limits->maxitems": " -7", "Big": "9000000000",
		"Ratio": "1.5", "Since": "2025-01-02T03:04:05Z", "Routing": `{"b":1}`, "ApiKey": "s3cr3t", "Location": " Oslo ",
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range got {
		names = append(names, o.Name)
	}
	if diff := cmp.Diff([]string{"Location", "ApiKey", "Limits->MaxItems", "Big", "Ratio", "Enabled", "Since", "Timeout", "Routing"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	def.Overrides = got
	body := string(EncodeDefinition("Orders", def))
	st := func(k string) string {
		return `{"$type":"Fig.Contracts.Settings.` + k + `SettingDataContract, Fig.Contracts","Value":`
	}
	o := func(name string, secret bool, value string) string {
		s := "false"
		if secret {
			s = "true"
		}
		return `{"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","Name":"` + name + `","IsSecret":` + s + `,"Value":` + value + `}`
	}
	want := `"ClientSettingOverrides":[` + strings.Join([]string{
		o("Location", false, st("String")+`" Oslo "}`),
		o("ApiKey", true, st("String")+`"s3cr3t"}`),
		o("Limits->MaxItems", false, st("Int")+`-7}`),
		o("Big", false, st("Long")+`9000000000}`),
		o("Ratio", false, st("Double")+`1.5}`),
		o("Enabled", false, st("Bool")+`true}`),
		o("Since", false, st("DateTime")+`"2025-01-02T03:04:05Z"}`),
		o("Timeout", false, st("TimeSpan")+`"00:01:30"}`),
		o("Routing", false, st("String")+`"{\"b\":1}"}`),
	}, ",") + `]`
	if !strings.Contains(body, want) {
		t.Errorf("registration body lacks\n%s\nbody:\n%s", want, body)
	}
}

// TestOverridesRejected: every problem names the setting and the fix.
func TestOverridesRejected(t *testing.T) {
	def, err := ParseDeclaration([]byte(overridesDeclaration))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		texts map[string]string
		want  string
	}{
		{map[string]string{"Nope": "1"}, "Nope: is not a setting of the declaration; fix: use a declared setting name"},
		{map[string]string{"Hosts": "a"}, "Hosts: is a data grid, which an override cannot set; fix:"},
		{map[string]string{"Limits->MaxItems": "many"}, `Limits->MaxItems: "many"`},
		{map[string]string{"Limits->MaxItems": "3000000000"}, `Limits->MaxItems: "3000000000"`},
		{map[string]string{"Enabled": "yes"}, `Enabled: "yes"`},
		{map[string]string{"Timeout": "soon"}, `Timeout: "soon"`},
		{map[string]string{"Ratio": " "}, "Ratio: is empty; fix:"},
	}
	for _, tt := range tests {
		_, err := Overrides(def, tt.texts)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "fix:") {
			t.Errorf("Overrides(%v) = %v, want an error with %q and a fix", tt.texts, err, tt.want)
		}
	}
}
