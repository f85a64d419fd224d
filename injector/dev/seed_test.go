package dev

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A valid base the error cases add to, so each case shows only its mistake.
const (
	testTenant   = "tenantId: 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f\n"
	testSecret   = "0f8e6a52-3c1b-4d7e-9a2f-5b6c7d8e9f01"
	testIdentity = "identities: [{clientId: 2b7c9e4d-1f3a-4e6b-8c5d-7a9f0e1d2c3b, issuer: https://issuer.example, subject: system:serviceaccount:shop:orders}]\n"
)

// client returns a seed with one client holding the given settings YAML.
func client(settings string) string {
	return "fig:\n  clients:\n    - name: OrderService\n      secret: " + testSecret + "\n      settings:\n" + settings
}

func TestParseSeedErrors(t *testing.T) {
	tests := []struct {
		name  string
		seed  string
		paths []string // FieldError paths, in order
		want  string   // a substring of the message
	}{
		{"not YAML", "fig: [\n", []string{"(file)"}, "not valid YAML"},
		{"duplicate key", "tenantId: a\ntenantId: b\n", []string{"(file)"}, "not valid YAML"},
		{"empty", "", []string{"(file)"}, "declares no Fig client and no Key Vault"},
		{"unknown field", client("        - {name: A, value: x, typ: string}\n"),
			[]string{"fig.clients[0].settings[0].typ"}, "remove it or correct its name"},
		{"wrong shape", "fig:\n  clients: {name: A}\n", []string{"fig.clients"}, "want a list"},
		{"secret value a number", testTenant + testIdentity + "keyVaults: [{name: orders-kv, secrets: [{name: a, value: 12345}]}]\n",
			[]string{"keyVaults.secrets.value"}, `quote the value`},
		{"bad int", client("        - {name: RetryCount, type: int, value: three}\n"),
			[]string{"fig.clients[0].settings[0].value"}, `is not a valid int value: got "three"`},
		{"int out of range", client("        - {name: RetryCount, type: int, value: 3000000000}\n"),
			[]string{"fig.clients[0].settings[0].value"}, "use type: long"},
		{"bad type", client("        - {name: A, type: str, value: x}\n"),
			[]string{"fig.clients[0].settings[0].type"}, `"str" is not a setting type`},
		{"null without type", client("        - {name: A, value: null}\n"),
			[]string{"fig.clients[0].settings[0].type"}, "is needed for a null value"},
		{"bool from number", client("        - {name: A, type: bool, value: 1}\n"),
			[]string{"fig.clients[0].settings[0].value"}, "(got a number)"},
		{"json text not JSON", client("        - {name: A, type: json, value: '{nope'}\n"),
			[]string{"fig.clients[0].settings[0].value"}, "the text is not JSON"},
		{"bad timespan", client("        - {name: A, type: timespan, value: soon}\n"),
			[]string{"fig.clients[0].settings[0].value"}, `"00:00:30" (.NET) or 30s (Go)`},
		{"duplicate setting", client("        - {name: A, value: x}\n        - {name: A, value: y}\n"),
			[]string{"fig.clients[0].settings[1].name"}, "declared twice"},
		{"nameless setting", client("        - {value: x}\n"), []string{"fig.clients[0].settings[0].name"}, "is required"},
		{"short client secret", "fig: {clients: [{name: A, secret: abc}]}\n", []string{"fig.clients[0].secret"}, "shorter than 32"},
		{"few distinct characters", "fig: {clients: [{name: A, secret: " + strings.Repeat("ab", 20) + "}]}\n",
			[]string{"fig.clients[0].secret"}, "fewer than 10 different"},
		{"missing client secret", "fig: {clients: [{name: A}]}\n", []string{"fig.clients[0].secret"}, "is required"},
		{"web hook type not emulated", client("        - {name: A, value: x}\n") + "  webHooks: [{name: relay, baseUri: 'https://127.0.0.1:8443/fig/', secret: s, hooks: [{type: SecurityEvent}]}]\n",
			[]string{"fig.webHooks"}, `type "SecurityEvent" is not emulated`},
		{"web hook base URI relative", client("        - {name: A, value: x}\n") + "  webHooks: [{name: relay, baseUri: relay/fig/, secret: s, hooks: [{type: SettingValueChanged}]}]\n",
			[]string{"fig.webHooks"}, "is not an absolute URI"},
		{"instances disagree on the secret", "fig: {clients: [{name: A, secret: " + testSecret + "}, {name: A, instance: x, secret: 9b2e7c41-0d3a-4f6e-8a1b-5c7d9e2f4a60}]}\n",
			[]string{"fig.clients[1].secret"}, "shares one secret"},
		{"client twice", "fig: {clients: [{name: A, secret: " + testSecret + "}, {name: A}]}\n", []string{"fig.clients[1]"}, "declared twice"},
		{"client name Fig forbids", "fig: {clients: [{name: Order.Service, secret: " + testSecret + "}]}\n",
			[]string{"fig.clients[0]"}, "rejected by the Fig emulator"},
		{"vault without tenant and identity", "keyVaults: [{name: orders-kv}]\n", []string{"tenantId", "identities"}, "is required with keyVaults"},
		{"vault checks", testTenant + testIdentity + `keyVaults:
  - name: kv
    secrets:
      - {name: api-key, value: a}
      - {name: API-KEY, value: b}
      - {name: bad_name, value: c}
      - {name: ok, value: d, expires: tomorrow}
      - {name: novalue}
  - name: orders-kv
  - name: Orders-KV
`, []string{"keyVaults[0].name", "keyVaults[0].secrets[1].name", "keyVaults[0].secrets[2].name", "keyVaults[0].secrets[3].expires",
			"keyVaults[0].secrets[4].value", "keyVaults[2].name"}, "Key Vault ignores case"},
		{"identity fields", testTenant + "fig: {clients: [{name: A, secret: " + testSecret + "}]}\nidentities: [{clientId: x}]\n",
			[]string{"identities[0].issuer", "identities[0].subject"}, "is required"},
		{"bad tenant", "tenantId: 'a b'\n" + testIdentity + "fig: {clients: [{name: A, secret: " + testSecret + "}]}\n",
			[]string{"tenantId"}, "is not a tenant ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSeed([]byte(tt.seed))
			if err == nil {
				t.Fatal("ParseSeed accepted the seed")
			}
			var paths []string
			for _, msg := range problems(err) {
				if !strings.Contains(msg, "; fix: ") {
					t.Errorf("message without a fix: %s", msg)
				}
			}
			for _, e := range flatten(err) {
				var fe *FieldError
				if !errors.As(e, &fe) {
					t.Fatalf("not a *FieldError: %v", e)
				}
				paths = append(paths, fe.Path)
			}
			if diff := cmp.Diff(tt.paths, paths); diff != "" {
				t.Errorf("paths (-want +got):\n%s\nerror: %v", diff, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not say %q:\n%v", tt.want, err)
			}
		})
	}
}

// flatten lists the leaves of a joined error.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// Errors about secret values never quote them.
func TestParseSeedErrorsHideSecrets(t *testing.T) {
	const value = "hunter2-hunter2"
	seeds := []string{
		client("        - {name: A, type: int, secret: true, value: " + value + "}\n"),
		client("        - {name: A, type: datetime, secret: true, value: " + value + "}\n"),
		client("        - {name: A, type: bool, secret: true, value: 12345678}\n"),
		testTenant + testIdentity + "keyVaults: [{name: orders-kv, secrets: [{name: a, value: 12345678}]}]\n",
	}
	for _, s := range seeds {
		_, err := ParseSeed([]byte(s))
		if err == nil {
			t.Fatalf("accepted:\n%s", s)
		}
		if msg := err.Error(); strings.Contains(msg, value) || strings.Contains(msg, "12345678") {
			t.Errorf("error quotes the secret: %s", msg)
		}
	}
}

// Each YAML form of a value becomes the Fig value the contract describes;
// type may be left out and is then inferred.
func TestSeedValues(t *testing.T) {
	p, err := compile([]byte(client(`        - {name: S, value: text}
        - {name: I, value: 3}
        - {name: L, value: 9000000000}
        - {name: D, value: 0.5}
        - {name: D2, type: double, value: 2}
        - {name: B, value: true}
        - {name: B2, type: bool, value: "false"}
        - {name: T, type: datetime, value: 2025-06-01T12:00:00Z}
        - {name: TS, type: timespan, value: "00:00:30"}
        - {name: TS2, type: timespan, value: 90s}
        - {name: J, value: {b: 1, a: [x, 2.50]}}
        - {name: J2, type: json, value: '{"z": 1}'}
        - {name: G, value: [a, b]}
        - {name: G2, type: datagrid, value: [{Name: x, Count: 2}]}
        - {name: Nothing, type: string, value: null}
        - {name: Q, type: String, value: "@Microsoft.KeyVault(VaultName=orders-kv;SecretName=api-key)"}
`)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range p.clients[0].Settings {
		got[s.Name] = s.Value.Kind().String() + " " + s.Value.Wire()
	}
	want := map[string]string{
		"S":       `String {"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts","value":"text"}`,
		"I":       `Int {"$type":"Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts","value":3}`,
		"L":       `Long {"$type":"Fig.Contracts.Settings.LongSettingDataContract, Fig.Contracts","value":9000000000}`,
		"D":       `Double {"$type":"Fig.Contracts.Settings.DoubleSettingDataContract, Fig.Contracts","value":0.5}`,
		"D2":      `Double {"$type":"Fig.Contracts.Settings.DoubleSettingDataContract, Fig.Contracts","value":2.0}`,
		"B":       `Bool {"$type":"Fig.Contracts.Settings.BoolSettingDataContract, Fig.Contracts","value":true}`,
		"B2":      `Bool {"$type":"Fig.Contracts.Settings.BoolSettingDataContract, Fig.Contracts","value":false}`,
		"T":       `DateTime {"$type":"Fig.Contracts.Settings.DateTimeSettingDataContract, Fig.Contracts","value":"2025-06-01T12:00:00Z"}`,
		"TS":      `TimeSpan {"$type":"Fig.Contracts.Settings.TimeSpanSettingDataContract, Fig.Contracts","value":"00:00:30"}`,
		"TS2":     `TimeSpan {"$type":"Fig.Contracts.Settings.TimeSpanSettingDataContract, Fig.Contracts","value":"00:01:30"}`,
		"J":       `Json {"$type":"Fig.Contracts.Settings.JsonSettingDataContract, Fig.Contracts","value":"{\"a\":[\"x\",2.5],\"b\":1}"}`,
		"J2":      `Json {"$type":"Fig.Contracts.Settings.JsonSettingDataContract, Fig.Contracts","value":"{\"z\": 1}"}`,
		"G":       `DataGrid ` + grid(`"Values":"a"`, `"Values":"b"`),
		"G2":      `DataGrid ` + grid(`"Count":2,"Name":"x"`),
		"Nothing": `String {"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts"}`,
		"Q":       `String {"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts","value":"@Microsoft.KeyVault(VaultName=orders-kv;SecretName=api-key)"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}

// grid is the wire form of a data grid with the given rows (members only).
func grid(rows ...string) string {
	const row = `{"$type":"System.Collections.Generic.Dictionary` + "`" + `2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib",`
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = row + r + "}"
	}
	return `{"$type":"Fig.Contracts.Settings.DataGridSettingDataContract, Fig.Contracts","value":[` + strings.Join(out, ",") + "]}"
}

// The example seed parses, and its first client is the demo's OrderService.
func TestExampleSeed(t *testing.T) {
	p, err := compile(ExampleSeed())
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range p.clients[0].Settings {
		kinds = append(kinds, s.Name+":"+s.Value.Kind().String())
	}
	want := []string{"Location:String", "RetryCount:Int", "EnableDiscounts:Bool", "RequestTimeout:TimeSpan", "Database->Host:String",
		"Warehouses:DataGrid", "Shipping:Json", "PaymentApiKey:String"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	if p.clients[0].Name != "OrderService" || len(p.vaults) != 1 || p.vaults[0].name != "orders-kv" || len(p.creds) != 1 {
		t.Errorf("unexpected example: client %q, %d vaults, %d identities", p.clients[0].Name, len(p.vaults), len(p.creds))
	}
}
