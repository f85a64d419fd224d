package figapi_test

import (
	"encoding/json"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

func seed(t *testing.T, e *env, c figapi.ClientSeed) {
	t.Helper()
	if c.Secret == "" {
		c.Secret = secret
	}
	if err := e.srv.Seed(c); err != nil {
		t.Fatalf("seed: %v", err)
	}
}

// TestSettingsMatchFixtureC serves the contract's Fixture C byte for byte.
func TestSettingsMatchFixtureC(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seed(t, e, figapi.ClientSeed{Name: "MyApp", Settings: []figapi.SettingSeed{
		{Name: "Location", Value: figapi.String("Melbourne")},
		{Name: "ApiKey", IsSecret: true, Value: figapi.String("plain-text-secret")},
		{Name: "RetryCount", Value: figapi.Int(3)},
		{Name: "MaxBytes", Value: figapi.Long(9000000000)},
		{Name: "Ratio", Value: figapi.Double(0.5)},
		{Name: "Enabled", Value: figapi.Bool(true)},
		{Name: "Since", Value: figapi.DateTime(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))},
		{Name: "Timeout", Value: figapi.TimeSpan(30 * time.Second)},
		{Name: "Db", Value: figapi.JSON(`{"Host":"db","Port":5432}`)},
		{Name: "Hosts", Value: figapi.List("a.example", "b.example")},
		{Name: "Logins", Value: figapi.DataGrid(figapi.NewRow("Username", "user1", "Password", "abc123", "AnotherSecret", nil))},
		{Name: "MessageBus->Auth->Username", Value: figapi.NullString()},
	}})
	want, err := os.ReadFile("testdata/fixture_c.json")
	if err != nil {
		t.Fatal(err)
	}
	r := e.settings("MyApp", "", secret)
	if r.status != 200 || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("settings: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if diff := cmp.Diff(string(want), r.body); diff != "" {
		t.Errorf("Fixture C (-want +got):\n%s", diff)
	}
}

// TestSettingsWireFormats pins the exact bytes of every value type, with
// Fig 4's null handling and Fig 3's, in golden files.
func TestSettingsWireFormats(t *testing.T) {
	utc := func(ns int) figapi.Value { return figapi.DateTime(time.Date(2024, 5, 1, 10, 0, 1, ns, time.UTC)) }
	cases := []struct {
		kind     string
		settings []figapi.SettingSeed
	}{
		{"string", []figapi.SettingSeed{
			{Name: "Plain", Value: figapi.String("Melbourne")},
			{Name: "Escaped", Value: figapi.String("quote\" back\\ tab\t nl\n ctl\x01 html<&> é \u2028 ${MachineName}")},
			{Name: "Empty", Value: figapi.String("")},
			{Name: "Null", Value: figapi.NullString()},
			{Name: "NoValue", Kind: figapi.KindString},
			{Name: "Secret", IsSecret: true, Value: figapi.String("s3cr3t")},
			{Name: "Nested->Deep->Name", Value: figapi.String("n")},
		}},
		{"int", []figapi.SettingSeed{
			{Name: "Three", Value: figapi.Int(3)},
			{Name: "Min", Value: figapi.Int(math.MinInt32)},
			{Name: "NullableNoValue", Kind: figapi.KindInt, ValueType: "System.Nullable`1[[System.Int32, System.Private.CoreLib]]"},
		}},
		{"long", []figapi.SettingSeed{
			{Name: "Big", Value: figapi.Long(9000000000)},
			{Name: "Max", Value: figapi.Long(math.MaxInt64)},
			{Name: "Negative", Value: figapi.Long(-1)},
		}},
		{"double", []figapi.SettingSeed{
			{Name: "Whole", Value: figapi.Double(30000)},
			{Name: "Half", Value: figapi.Double(1.5)},
			{Name: "Tenth", Value: figapi.Double(0.1)},
			{Name: "Huge", Value: figapi.Double(1e20)},
			{Name: "E15", Value: figapi.Double(1e15)},
			{Name: "E14", Value: figapi.Double(1e14)},
			{Name: "SeventeenDigits", Value: figapi.Double(1234567890123456.8)},
			{Name: "Tiny", Value: figapi.Double(1e-5)},
			{Name: "Small", Value: figapi.Double(0.0001)},
			{Name: "NegativeZero", Value: figapi.Double(math.Copysign(0, -1))},
			{Name: "Max", Value: figapi.Double(math.MaxFloat64)},
			{Name: "NaN", Value: figapi.Double(math.NaN())},
		}},
		{"bool", []figapi.SettingSeed{
			{Name: "On", Value: figapi.Bool(true)},
			{Name: "Off", Value: figapi.Bool(false)},
		}},
		{"datetime", []figapi.SettingSeed{
			{Name: "Utc", Value: figapi.DateTime(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))},
			{Name: "UtcTicks", Value: utc(234567800)},
			{Name: "UtcHalf", Value: utc(500000000)},
			{Name: "UtcNanosTruncated", Value: utc(123456789)},
			{Name: "Unspecified", Value: figapi.DateTimeUnspecified(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))},
			{Name: "Offset", Value: figapi.DateTime(time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("", 2*3600)))},
			{Name: "Null", Value: figapi.NullDateTime()},
		}},
		{"timespan", []figapi.SettingSeed{
			{Name: "Thirty", Value: figapi.TimeSpan(30 * time.Second)},
			{Name: "DaysAndFraction", Value: figapi.TimeSpan(26*time.Hour + 3*time.Minute + 4500*time.Millisecond)},
			{Name: "Negative", Value: figapi.TimeSpan(-90 * time.Minute)},
			{Name: "Tick", Value: figapi.TimeSpan(100 * time.Nanosecond)},
			{Name: "Zero", Value: figapi.TimeSpan(0)},
			{Name: "Null", Value: figapi.NullTimeSpan()},
		}},
		{"json", []figapi.SettingSeed{
			{Name: "Db", Value: figapi.JSON("{\n  \"Host\": \"db\",\n  \"Port\": 5432\n}")},
			{Name: "Array", Value: figapi.JSON(`[1,2]`), JSONSchema: `{"type":"array"}`},
			{Name: "Null", Value: figapi.NullJSON()},
		}},
		{"datagrid", []figapi.SettingSeed{
			{Name: "Hosts", Value: figapi.List("a.example", "b.example")},
			{Name: "Logins", Value: figapi.DataGrid(
				figapi.NewRow("Username", "user1", "Password", "abc123", "AnotherSecret", nil),
				figapi.NewRow("Username", "user2", "Password", nil, "AnotherSecret", "x"))},
			{Name: "Typed", Value: figapi.DataGrid(figapi.NewRow("lowerCase", 5, "Ratio", 2.0, "On", true,
				"Tags", []string{"a", "b"}, "Obj", json.RawMessage(`{ "k" : [1, 2] }`)))},
			{Name: "Empty", Value: figapi.DataGrid()},
			{Name: "Null", Value: figapi.NullDataGrid()},
		}},
	}
	for _, c := range cases {
		for _, fig3 := range []bool{false, true} {
			name := "settings_" + c.kind + ".json"
			if fig3 {
				name = "settings_" + c.kind + ".fig3.json"
			}
			t.Run(name, func(t *testing.T) {
				e := newEnv(t, figapi.Options{Fig3: fig3})
				seed(t, e, figapi.ClientSeed{Name: "Types", Settings: c.settings})
				r := e.settings("Types", "", secret)
				if r.status != 200 {
					t.Fatalf("settings: %d %s", r.status, r.body)
				}
				if !json.Valid([]byte(r.body)) {
					t.Fatalf("invalid JSON: %s", r.body)
				}
				objectsHaveTypeFirst(t, r.body)
				nullable := false
				for _, s := range c.settings {
					nullable = nullable || s.Value.IsNull()
				}
				if hasNull := strings.Contains(r.body, `"value":null`); hasNull != (fig3 && nullable) {
					t.Errorf(`"value":null present = %v, want %v`, hasNull, fig3 && nullable)
				}
				golden(t, name, r.body)
			})
		}
	}
}

// TestSettingsMembersAreCamelCase checks member names at every level
// outside data-grid rows, whose keys keep their case.
func TestSettingsMembersAreCamelCase(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seed(t, e, figapi.ClientSeed{Name: "MyApp", Settings: []figapi.SettingSeed{
		{Name: "A", Value: figapi.Int(1)},
		{Name: "G", Value: figapi.DataGrid(figapi.NewRow("UpperCol", 1))},
	}})
	var got []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(e.settings("MyApp", "", secret).body), &got); err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		for k := range s {
			if k != "$type" && k != "name" && k != "isSecret" && k != "value" {
				t.Errorf("setting member %q", k)
			}
		}
		var v map[string]json.RawMessage
		_ = json.Unmarshal(s["value"], &v)
		for k := range v {
			if k != "$type" && k != "value" {
				t.Errorf("value member %q", k)
			}
		}
	}
	if !strings.Contains(e.settings("MyApp", "", secret).body, `"UpperCol":1`) {
		t.Error("data-grid column lost its case")
	}
}

func TestSettingsErrors(t *testing.T) {
	cases := []struct {
		name, path string
		headers    map[string]string
		status     int
		message    string // "" for ProblemDetails
	}{
		{"no secret", "/clients/MyApp/settings?runSessionId=" + runID, map[string]string{}, 401, ""},
		{"blank secret", "/clients/MyApp/settings", map[string]string{"clientSecret": "  "}, 401, ""},
		{"blank secret of unknown client", "/clients/Nope/settings", map[string]string{"clientSecret": ""}, 401, ""},
		{"unknown client", "/clients/Nope/settings", map[string]string{"clientSecret": secret}, 404, "No existing registration for client 'Nope'"},
		{"unknown before secret check", "/clients/Nope/settings", map[string]string{"clientSecret": "x"}, 404, "No existing registration for client 'Nope'"},
		{"wrong secret", "/clients/MyApp/settings", map[string]string{"clientSecret": otherSecret}, 401, "Invalid client secret for client 'MyApp'"},
		{"format is not checked here", "/clients/MyApp/settings", map[string]string{"clientSecret": "x"}, 401, "Invalid client secret for client 'MyApp'"},
		{"escaped name", "/clients/My%20App/settings", map[string]string{"clientSecret": secret}, 404, "No existing registration for client 'My App'"},
		{"bad run session id", "/clients/MyApp/settings?runSessionId=nope", map[string]string{"clientSecret": secret}, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, figapi.Options{})
			seed(t, e, figapi.ClientSeed{Name: "MyApp", Settings: []figapi.SettingSeed{{Name: "A", Value: figapi.Int(1)}}})
			r := e.do(http.MethodGet, c.path, c.headers, nil)
			if c.message == "" {
				problem(t, r, c.status)
				return
			}
			figError(t, r, c.status, c.message)
		})
	}
}

func TestSettingsInstanceFallback(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seed(t, e, figapi.ClientSeed{Name: "MyApp", Settings: []figapi.SettingSeed{{Name: "Location", Value: figapi.String("Melbourne")}}})
	if err := e.srv.SetValue("MyApp", "Prod", "Location", figapi.String("Sydney")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ query, want string }{
		{"", "Melbourne"}, {"instance=Prod", "Sydney"}, {"instance=Dev", "Melbourne"}, {"instance=%20", "Melbourne"},
	} {
		r := e.settings("MyApp", c.query, secret)
		if !strings.Contains(r.body, `"value":"`+c.want+`"`) {
			t.Errorf("?%s: got %d %s, want %s", c.query, r.status, r.body, c.want)
		}
	}
	// An instance alone is no base client: without ?instance= it is unknown.
	seed(t, e, figapi.ClientSeed{Name: "OnlyProd", Instance: "Prod", Settings: []figapi.SettingSeed{{Name: "A", Value: figapi.Int(1)}}})
	figError(t, e.settings("OnlyProd", "", secret), 404, "No existing registration for client 'OnlyProd'")
	if r := e.settings("OnlyProd", "instance=Prod", secret); r.status != 200 {
		t.Errorf("OnlyProd?instance=Prod: %d %s", r.status, r.body)
	}
}

func TestSettingsFetchMarksTheRunSession(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seed(t, e, figapi.ClientSeed{Name: "MyApp", Settings: []figapi.SettingSeed{{Name: "A", Value: figapi.Int(1)}}})
	e.status("MyApp", "", secret, e.clock.Now())
	created := e.clock.Now()
	e.clock.Add(time.Minute)
	e.settings("MyApp", "", secret)
	rs := e.srv.RunSessions("MyApp")
	if len(rs) != 1 || !rs[0].LastSettingLoad.Equal(created.Add(time.Minute)) {
		t.Errorf("run sessions after fetch = %+v", rs)
	}
}

// TestSettingsWithTheSecretStoreDown is Fig's Key Vault option with Key
// Vault failing (SecretStoreHandler.HydrateSecrets finds nothing): 200, and
// every secret setting's value is a null string; the others are served.
func TestSettingsWithTheSecretStoreDown(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seed(t, e, figapi.ClientSeed{Name: "MyApp", Settings: []figapi.SettingSeed{
		{Name: "Location", Value: figapi.String("Melbourne")},
		{Name: "ApiKey", IsSecret: true, Value: figapi.String("k-123")},
	}})
	cfg := e.srv.Config()
	cfg.SecretStoreDown = true
	e.srv.SetConfig(cfg)
	r := e.settings("MyApp", "", secret)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	want := `{"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","name":"ApiKey","isSecret":true,"value":{"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts"}}`
	if !strings.Contains(r.body, want) || !strings.Contains(r.body, `"Melbourne"`) || strings.Contains(r.body, "k-123") {
		t.Errorf("body = %s, want ApiKey as %s and Location served", r.body, want)
	}
}
