package figapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

// TestRegisterChecks walks the checks of POST /clients in Fig's order: each
// case breaks one rule, and some break two to show which one wins.
func TestRegisterChecks(t *testing.T) {
	type tc struct {
		name    string
		opts    figapi.Options
		setup   func(e *env)
		headers map[string]string
		body    func(t *testing.T) string
		status  int
		message string // "" for a ProblemDetails answer
	}
	registered := func(e *env) {
		if r := e.register(secret, fixtureB); r.status != 200 {
			t.Fatalf("setup register: %d %s", r.status, r.body)
		}
	}
	body := func(s string) func(*testing.T) string { return func(*testing.T) string { return s } }
	edited := func(old, new string) func(*testing.T) string {
		return func(t *testing.T) string { return edit(t, old, new) }
	}
	cases := []tc{
		{name: "no secret header", headers: map[string]string{}, body: body(fixtureB), status: 400},
		{name: "unreadable body", body: body(`{"Name":`), status: 400},
		{name: "no JSON content type", headers: map[string]string{"ClientSecret": "short", "Content-Type": "text/plain"}, body: body(fixtureB), status: 415},
		{name: "problem+json content type", headers: map[string]string{"ClientSecret": secret, "Content-Type": "application/problem+json"}, body: body(fixtureB), status: 200},
		{name: "short secret", headers: map[string]string{"ClientSecret": "0123456789"}, body: body(fixtureB),
			status: 400, message: "Client secret is invalid."},
		{name: "few unique characters", headers: map[string]string{"ClientSecret": strings.Repeat("a", 40)}, body: body(fixtureB),
			status: 400, message: "Client secret is invalid."},
		{name: "32 digits pass", headers: map[string]string{"ClientSecret": "01234567890123456789012345678901"}, body: body(fixtureB),
			status: 200},
		{name: "secret before name", headers: map[string]string{"ClientSecret": "short"}, body: edited(`"Name": "MyApp"`, `"Name": "My.App"`),
			status: 400, message: "Client secret is invalid."},
		{name: "reserved character in name", body: edited(`"Name": "MyApp"`, `"Name": "My(App)"`),
			status: 400, message: "'My(App)' is not a valid name. Reserved characters used in regular expressions are not allowed"},
		{name: "blank name", body: edited(`"Name": "MyApp"`, `"Name": "  "`),
			status: 400, message: "'  ' is not a valid name. Reserved characters used in regular expressions are not allowed"},
		{name: "name before disabled registrations", opts: figapi.Options{AllowNewRegistrations: new(false)},
			body: edited(`"Name": "MyApp"`, `"Name": "a|b"`), status: 400,
			message: "'a|b' is not a valid name. Reserved characters used in regular expressions are not allowed"},
		{name: "registrations disabled", opts: figapi.Options{AllowNewRegistrations: new(false)}, body: body(fixtureB),
			status: 401, message: "New registrations are currently disabled"},
		{name: "registrations disabled, identical re-registration", opts: figapi.Options{AllowNewRegistrations: new(false)},
			setup: func(e *env) {
				e.srv.SetConfig(figapi.Config{AllowNewRegistrations: true, AllowUpdatedRegistrations: true, AllowClientOverrides: true})
				registered(e)
				c := e.srv.Config()
				c.AllowNewRegistrations = false
				e.srv.SetConfig(c)
			},
			body: body(fixtureB), status: 401, message: "New registrations are currently disabled"},
		{name: "different secret", setup: registered, headers: map[string]string{"ClientSecret": otherSecret}, body: body(fixtureB),
			status: 401, message: "Settings for client 'MyApp' have already been registered with a different secret."},
		{name: "different secret before setting checks", setup: registered, headers: map[string]string{"ClientSecret": otherSecret},
			body:   edited(`"Description": "Retries"`, `"Description": ""`),
			status: 401, message: "Settings for client 'MyApp' have already been registered with a different secret."},
		{name: "setting without description", body: edited(`"Description": "Retries"`, `"Description": " "`),
			status: 400, message: "Setting RetryCount did not have a description set"},
		{name: "default of the wrong type", body: edited(`"Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts", "Value": 3`, `"Fig.Contracts.Settings.LongSettingDataContract, Fig.Contracts", "Value": 3`),
			status: 400, message: "Value for setting RetryCount had type System.Int64 but should have been System.Int32"},
		{name: "type check before description", body: func(t *testing.T) string {
			s := edit(t, `"Description": "City to report on"`, `"Description": ""`)
			return strings.Replace(s, `"ValueType": "System.String",
      "Value": null`, `"ValueType": "System.Boolean",
      "Value": null`, 1)
		}, status: 400, message: "Value for setting Location had type System.String but should have been System.Boolean"},
		{name: "null default skips the type check", body: edited(`"IsSecret": true,
      "ValueType": "System.String"`, `"IsSecret": true,
      "ValueType": "System.Int32"`), status: 200},
		{name: "int default for a date setting", body: edited(`"ValueType": "System.Int32"`, `"ValueType": "System.DateTime"`),
			status: 400, message: "Value for setting RetryCount had type System.Int32 but should have been System.DateTime"},
		{name: "unsupported value type", body: edited(`"ValueType": "System.Int32"`, `"ValueType": "System.Decimal"`),
			status: 400, message: "Setting RetryCount has value type System.Decimal, which Fig does not support"},
		{name: "$type not first in a value", body: edited(`{ "$type": "Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts", "Value": "Melbourne" }`,
			`{ "Value": "Melbourne", "$type": "Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts" }`), status: 400},
		{name: "value without $type", body: edited(`{ "$type": "Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts", "Value": "Melbourne" }`,
			`{ "Value": "Melbourne" }`), status: 400},
		{name: "unknown value contract", body: edited(`"Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts"`,
			`"Fig.Contracts.Settings.DecimalSettingDataContract, Fig.Contracts"`), status: 400},
		{name: "int out of range", body: edited(`"Value": 3 }`, `"Value": 3000000000 }`), status: 400},
		{name: "null overrides", body: edited(`"ClientSettingOverrides": []`, `"ClientSettingOverrides": null`),
			status: 500, message: "Object reference not set to an instance of an object."},
		{name: "null overrides pass when overrides are off", opts: figapi.Options{AllowClientOverrides: new(false)},
			body: edited(`"ClientSettingOverrides": []`, `"ClientSettingOverrides": null`), status: 200},
		{name: "updated registration disabled", opts: figapi.Options{AllowUpdatedRegistrations: new(false)}, setup: registered,
			body:   edited(`"Description": "Retries"`, `"Description": "How often to retry"`),
			status: 401, message: "Updated registrations are currently disabled"},
		{name: "identical registration passes with updates disabled", opts: figapi.Options{AllowUpdatedRegistrations: new(false)},
			setup: registered, body: body(fixtureB), status: 200},
		{name: "short ValueType names and camelCase", body: body(`{"name":"Lower","description":"d","settings":[{"name":"A","description":"a","valueType":"System.Int64, System.Private.CoreLib, Version=8.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e","defaultValue":{"$type":"Fig.Contracts.Settings.LongSettingDataContract, Fig.Contracts","value":9000000000}}],"clientSettingOverrides":[]}`),
			status: 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.opts)
			if c.setup != nil {
				c.setup(e)
			}
			h := c.headers
			if h == nil {
				h = map[string]string{"ClientSecret": secret}
			}
			r := e.do(http.MethodPost, "/clients", h, []byte(c.body(t)))
			switch {
			case c.status == 200:
				if r.status != 200 || r.body != "" {
					t.Fatalf("got %d %q, want 200 with an empty body", r.status, r.body)
				}
			case c.message == "":
				problem(t, r, c.status)
			default:
				figError(t, r, c.status, c.message)
			}
		})
	}
}

func TestRegisterInitialValuesComeFromDefaults(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	// The body's Value is ignored: only DefaultValue counts.
	body := edit(t, `"Value": null,
      "DefaultValue": { "$type": "Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts", "Value": "Melbourne" }`,
		`"Value": { "$type": "Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts", "Value": "Ignored" },
      "DefaultValue": { "$type": "Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts", "Value": "Melbourne" }`)
	if r := e.register(secret, body); r.status != 200 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	r := e.settings("MyApp", "", secret)
	want := `[{"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","name":"Location","isSecret":false,"value":{"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts","value":"Melbourne"}},` +
		`{"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","name":"ApiKey","isSecret":true,"value":{"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts"}},` +
		`{"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","name":"RetryCount","isSecret":false,"value":{"$type":"Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts","value":3}},` +
		`{"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","name":"Hosts","isSecret":false,"value":{"$type":"Fig.Contracts.Settings.DataGridSettingDataContract, Fig.Contracts","value":[{"$type":"System.Collections.Generic.Dictionary` + "`" + `2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib","Values":"a.example"}]}}]`
	if diff := cmp.Diff(want, r.body); diff != "" {
		t.Errorf("settings after registration (-want +got):\n%s", diff)
	}
	infos := e.srv.Clients()
	if len(infos) != 1 || infos[0].Description != "My application" || !infos[0].LastRegistration.Equal(e.clock.Now()) ||
		!infos[0].LastSettingValueUpdate.IsZero() {
		t.Errorf("client info after registration = %+v", infos)
	}
}

func TestRegisterUpdatedKeepsValuesOfSameNameAndType(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	e.register(secret, fixtureB)
	if err := e.srv.SetValues("MyApp", "", map[string]figapi.Value{
		"Location": figapi.String("Sydney"), "RetryCount": figapi.Int(7), "ApiKey": figapi.String("k"),
	}); err != nil {
		t.Fatal(err)
	}
	before := e.srv.Clients()[0].LastSettingValueUpdate
	// RetryCount becomes a long (new type: default again), ApiKey goes,
	// Location keeps its name and type (value kept), Timeout is new.
	next := edit(t, `"ValueType": "System.Int32",
      "DefaultValue": { "$type": "Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts", "Value": 3 }`,
		`"ValueType": "System.Int64, System.Private.CoreLib",
      "DefaultValue": { "$type": "Fig.Contracts.Settings.LongSettingDataContract, Fig.Contracts", "Value": 4 }`)
	start := strings.Index(next, `    {
      "$type": "Fig.Contracts.SettingDefinitions.SettingDefinitionDataContract, Fig.Contracts",
      "Name": "ApiKey"`)
	end := strings.Index(next, `    {
      "$type": "Fig.Contracts.SettingDefinitions.SettingDefinitionDataContract, Fig.Contracts",
      "Name": "RetryCount"`)
	next = next[:start] + `    {"Name":"Timeout","Description":"Timeout","ValueType":"System.TimeSpan","DefaultValue":{"$type":"Fig.Contracts.Settings.TimeSpanSettingDataContract, Fig.Contracts","Value":"00:00:30"}},
` + next[end:]
	e.clock.Add(time.Minute)
	if r := e.register(secret, next); r.status != 200 {
		t.Fatalf("updated registration: %d %s", r.status, r.body)
	}
	got := map[string]string{}
	info := e.srv.Clients()[0]
	for _, s := range info.Settings {
		got[s.Name] = s.Value.Wire()
	}
	want := map[string]string{
		"Location":   `{"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts","value":"Sydney"}`,
		"Timeout":    `{"$type":"Fig.Contracts.Settings.TimeSpanSettingDataContract, Fig.Contracts","value":"00:00:30"}`,
		"RetryCount": `{"$type":"Fig.Contracts.Settings.LongSettingDataContract, Fig.Contracts","value":4}`,
		"Hosts":      `{"$type":"Fig.Contracts.Settings.DataGridSettingDataContract, Fig.Contracts","value":[{"$type":"System.Collections.Generic.Dictionary` + "`" + `2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib","Values":"a.example"}]}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values after updated registration (-want +got):\n%s", diff)
	}
	if !info.LastSettingValueUpdate.Equal(before) {
		t.Errorf("an updated registration moved LastSettingValueUpdate from %v to %v", before, info.LastSettingValueUpdate)
	}
	if !info.LastRegistration.Equal(e.clock.Now()) {
		t.Errorf("LastRegistration = %v, want %v", info.LastRegistration, e.clock.Now())
	}
}

func TestRegisterIdenticalOnlyTouchesLastRegistration(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	e.register(secret, fixtureB)
	if err := e.srv.SetValue("MyApp", "", "Location", figapi.String("Hobart")); err != nil {
		t.Fatal(err)
	}
	version := e.do(http.MethodGet, "/apiversion", nil, nil).body
	before := e.srv.Clients()[0]
	e.clock.Add(time.Hour)
	// Member order, casing and explicit nulls do not make a definition differ.
	same := strings.Replace(fixtureB, `"IsSecret": false,
      "ValueType": "System.String",
      "Value": null,`, `"ValueType": "System.String",
      "isSecret": false, "Group": null,`, 1)
	if r := e.register(secret, same); r.status != 200 {
		t.Fatalf("re-register: %d %s", r.status, r.body)
	}
	after := e.srv.Clients()[0]
	if !after.LastRegistration.Equal(e.clock.Now()) {
		t.Errorf("LastRegistration = %v, want %v", after.LastRegistration, e.clock.Now())
	}
	after.LastRegistration = before.LastRegistration
	if diff := cmp.Diff(before, after, cmp.Comparer(func(a, b figapi.Value) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("identical registration changed the client (-before +after):\n%s", diff)
	}
	if v := e.do(http.MethodGet, "/apiversion", nil, nil).body; v != version {
		t.Errorf("identical registration moved LastSettingChange: %s -> %s", version, v)
	}
}

func TestRegisterDeferredDescription(t *testing.T) {
	e := newEnv(t, figapi.Options{AllowUpdatedRegistrations: new(false)})
	deferred := edit(t, `"Description": "My application"`, `"Description": null`)
	if r := e.register(secret, deferred); r.status != 200 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	r := e.do(http.MethodPut, "/clients/MyApp/description", map[string]string{"ClientSecret": secret},
		[]byte(`{"$type":"Fig.Contracts.SettingClients.ClientDescriptionUpdateDataContract, Fig.Contracts","Description":"Weather *service*"}`))
	if r.status != 200 || r.body != "" {
		t.Fatalf("description: %d %q", r.status, r.body)
	}
	// The next start registers with a null description again: identical.
	if r := e.register(secret, deferred); r.status != 200 {
		t.Fatalf("re-register: %d %s", r.status, r.body)
	}
	if got := e.srv.Clients()[0].Description; got != "Weather *service*" {
		t.Errorf("description = %q", got)
	}
}

func TestDescriptionChecks(t *testing.T) {
	cases := []struct {
		name, path, secret string
		status             int
		message            string
		want               string // description afterwards
	}{
		{"updates", "/clients/MyApp/description", secret, 200, "", "new"},
		{"unknown client is ignored", "/clients/Other/description", secret, 200, "", "My application"},
		{"unknown instance is ignored", "/clients/MyApp/description?instance=Prod", secret, 200, "", "My application"},
		{"wrong secret", "/clients/MyApp/description", otherSecret, 401, "Invalid client secret for client 'MyApp'", "My application"},
		{"invalid secret format", "/clients/MyApp/description", "short", 400, "Client secret is invalid.", "My application"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, figapi.Options{})
			e.register(secret, fixtureB)
			r := e.do(http.MethodPut, c.path, map[string]string{"ClientSecret": c.secret}, []byte(`{"Description":"new"}`))
			if c.message != "" {
				figError(t, r, c.status, c.message)
			} else if r.status != c.status {
				t.Fatalf("status = %d, want %d (%s)", r.status, c.status, r.body)
			}
			if got := e.srv.Clients()[0].Description; got != c.want {
				t.Errorf("description = %q, want %q", got, c.want)
			}
		})
	}
}

func TestRegisterClientSettingOverrides(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	body := edit(t, `"ClientSettingOverrides": []`, `"ClientSettingOverrides": [
	  {"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","Name":"Location","IsSecret":false,"Value":{"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts","Value":"Perth"}},
	  {"Name":"NoSuchSetting","Value":{"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts","Value":"x"}}]`)
	body = strings.Replace(body, `"Instance": null`, `"Instance": "Prod"`, 1)
	if r := e.register(secret, body); r.status != 200 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	get := func(instance string) string {
		for _, c := range e.srv.Clients() {
			if c.Instance == instance {
				return c.Settings[0].Value.Text()
			}
		}
		return "<no row>"
	}
	if b, p := get(""), get("Prod"); b != "Melbourne" || p != "Perth" {
		t.Errorf("Location: base %q, Prod %q; want Melbourne and Perth", b, p)
	}
	prod := func() figapi.ClientInfo {
		for _, c := range e.srv.Clients() {
			if c.Instance == "Prod" {
				return c
			}
		}
		t.Fatal("no Prod row")
		return figapi.ClientInfo{}
	}
	// MarkSettingsAsExternallyManaged: the named setting, not the others.
	if c := prod(); !c.Settings[0].ExternallyManaged || c.Settings[1].ExternallyManaged {
		t.Errorf("externally managed: Location %v, %s %v; want true, false", c.Settings[0].ExternallyManaged, c.Settings[1].Name, c.Settings[1].ExternallyManaged)
	}
	// FilterChangedOverrides: the same override again (every pod start) is
	// no change, so clients are not told to reload.
	stamp := prod().LastSettingValueUpdate
	e.clock.Add(time.Minute)
	if r := e.register(secret, body); r.status != 200 {
		t.Fatalf("register again: %d %s", r.status, r.body)
	}
	if got := prod().LastSettingValueUpdate; !got.Equal(stamp) {
		t.Errorf("an unchanged override moved LastSettingValueUpdate from %v to %v", stamp, got)
	}
}

func TestRegistrationIsRecorded(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	r := e.do(http.MethodPost, "/clients", map[string]string{"ClientSecret": secret, "Content-Encoding": "gzip"}, gz(t, []byte(fixtureB)))
	if r.status != 200 {
		t.Fatalf("gzipped register: %d %s", r.status, r.body)
	}
	reg, ok := e.srv.Registration("MyApp")
	if !ok {
		t.Fatal("no registration recorded")
	}
	if string(reg.Raw) != fixtureB || reg.ContentEncoding != "gzip" || reg.Status != 200 {
		t.Errorf("registration raw/encoding/status = %d bytes, %q, %d", len(reg.Raw), reg.ContentEncoding, reg.Status)
	}
	d := reg.Definition
	if d.Name != "MyApp" || *d.Description != "My application" || d.Instance != nil || *d.ClientVersion != "1.0.0.0" ||
		len(d.Settings) != 4 || d.ClientSettingOverrides == nil {
		t.Errorf("definition = %+v", d)
	}
	hosts := d.Settings[3]
	if hosts.Kind != figapi.KindDataGrid || hosts.DataGrid == nil || hosts.DataGrid.Columns[0].Name != "Values" ||
		!hosts.DefaultValue.Equal(figapi.List("a.example")) || !hosts.SupportsLiveUpdate || *hosts.DisplayOrder != 4 {
		t.Errorf("Hosts definition = %+v", hosts)
	}
	if !d.Settings[1].IsSecret || !d.Settings[1].DefaultValue.Equal(figapi.NullString()) {
		t.Errorf("ApiKey definition = %+v", d.Settings[1])
	}

	// A rejected registration is recorded with its answer.
	e.register(otherSecret, fixtureB)
	reg, _ = e.srv.Registration("MyApp")
	if reg.Status != 401 || !strings.Contains(reg.Message, "different secret") {
		t.Errorf("rejected registration recorded as %d %q", reg.Status, reg.Message)
	}
}
