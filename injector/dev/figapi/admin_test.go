package figapi_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

func TestSetValuesErrors(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	cases := []struct {
		name, client, instance string
		values                 map[string]figapi.Value
		notFound               bool
	}{
		{"unknown client", "Nope", "", map[string]figapi.Value{"Location": figapi.String("x")}, true},
		{"unknown setting", "MyApp", "", map[string]figapi.Value{"Location": figapi.String("x"), "Nope": figapi.Int(1)}, true},
		{"wrong kind", "MyApp", "", map[string]figapi.Value{"Location": figapi.String("x"), "RetryCount": figapi.Long(1)}, false},
		{"unknown setting on a new instance", "MyApp", "Prod", map[string]figapi.Value{"Nope": figapi.Int(1)}, true},
		{"bad data-grid cell", "MyApp", "", map[string]figapi.Value{"Location": figapi.DataGrid(figapi.NewRow("C", struct{}{}))}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := e.srv.SetValues(c.client, c.instance, c.values)
			if err == nil || errors.Is(err, figapi.ErrNotFound) != c.notFound {
				t.Fatalf("err = %v, want an error (not found: %v)", err, c.notFound)
			}
		})
	}
	// Nothing changed: the edits were all or nothing.
	infos := e.srv.Clients()
	if len(infos) != 1 || infos[0].Settings[0].Value.Text() != "Melbourne" || !infos[0].LastSettingValueUpdate.IsZero() {
		t.Errorf("clients after failed edits = %+v", infos)
	}
	// A JSON value fits a string setting (Fig stores both as strings), and
	// is served as the setting says: a plain string here.
	if err := e.srv.SetValue("MyApp", "", "Location", figapi.JSON(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if r := e.settings("MyApp", "", secret); !strings.Contains(r.body, `StringSettingDataContract, Fig.Contracts","value":"{\"a\":1}"`) {
		t.Errorf("JSON text in a string setting: %s", r.body)
	}
}

func TestSeedUpdates(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	base := figapi.ClientSeed{Name: "Seeded", Description: "d", Settings: []figapi.SettingSeed{
		{Name: "A", Value: figapi.String("1")},
		{Name: "B", Value: figapi.Int(2)},
		{Name: "Gone", Value: figapi.Bool(true)},
	}}
	seed(t, e, base)
	since := e.clock.Now()
	if c := e.srv.Clients()[0]; !c.LastSettingValueUpdate.IsZero() || !c.LastRegistration.IsZero() {
		t.Errorf("a new seeded client: %+v", c)
	}
	// Same seed again: nothing changes.
	seed(t, e, base)
	wantBody(t, e.status("Seeded", "", secret, since), statusNoChange)

	e.clock.Add(time.Second)
	next := base
	next.Secret = ""
	next.Settings = []figapi.SettingSeed{
		{Name: "A", Value: figapi.String("1")},
		{Name: "B", Value: figapi.Int(3)},
		{Name: "New", Value: figapi.TimeSpan(time.Minute)},
	}
	seed(t, e, next)
	r := e.status("Seeded", "", secret, since)
	if !strings.Contains(r.body, `"changedSettings":["B","New","Gone"]`) {
		t.Errorf("status after re-seed: %s", r.body)
	}
	// A re-seed with a new secret replaces it.
	next.Secret = otherSecret
	seed(t, e, next)
	figError(t, e.settings("Seeded", "", secret), 401, "Invalid client secret for client 'Seeded'")
	if r := e.settings("Seeded", "", otherSecret); r.status != 200 {
		t.Errorf("new secret: %d", r.status)
	}
	// A seeded client that registers keeps the values of matching settings.
	def := `{"Name":"Seeded","Description":"x","Settings":[{"Name":"B","Description":"b","ValueType":"System.Int32, System.Private.CoreLib, Version=8.0.0.0","DefaultValue":{"$type":"Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts","Value":0}}],"ClientSettingOverrides":[]}`
	if r := e.register(otherSecret, def); r.status != 200 {
		t.Fatalf("register seeded client: %d %s", r.status, r.body)
	}
	if got := e.srv.Clients()[0].Settings[0].Value.Wire(); !strings.HasSuffix(got, `"value":3}`) {
		t.Errorf("B after registration = %s", got)
	}
}

func TestSeedErrors(t *testing.T) {
	cases := []struct {
		name string
		seed figapi.ClientSeed
	}{
		{"no secret", figapi.ClientSeed{Name: "A"}},
		{"bad name", figapi.ClientSeed{Name: "a.b", Secret: secret}},
		{"no kind", figapi.ClientSeed{Name: "A", Secret: secret, Settings: []figapi.SettingSeed{{Name: "X"}}}},
		{"duplicate", figapi.ClientSeed{Name: "A", Secret: secret, Settings: []figapi.SettingSeed{{Name: "X", Value: figapi.Int(1)}, {Name: "X", Value: figapi.Int(2)}}}},
		{"type mismatch", figapi.ClientSeed{Name: "A", Secret: secret, Settings: []figapi.SettingSeed{{Name: "X", Value: figapi.Int(1), ValueType: "System.String"}}}},
		{"unsupported type", figapi.ClientSeed{Name: "A", Secret: secret, Settings: []figapi.SettingSeed{{Name: "X", Kind: figapi.KindInt, ValueType: "System.Decimal"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := figapi.New(figapi.Options{}).Seed(c.seed); err == nil {
				t.Error("Seed succeeded")
			}
		})
	}
}

func TestInstancesAndDeletion(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	seedMyApp(t, e)
	if err := e.srv.CreateInstance("MyApp", "Blue"); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SetValue("MyApp", "", "Location", figapi.String("Base only")); err != nil {
		t.Fatal(err)
	}
	if r := e.settings("MyApp", "instance=Blue", secret); !strings.Contains(r.body, `"Melbourne"`) {
		t.Errorf("instance copy: %s", r.body)
	}
	if err := e.srv.DeleteClient("MyApp", "Blue"); err != nil {
		t.Fatal(err)
	}
	if r := e.settings("MyApp", "instance=Blue", secret); !strings.Contains(r.body, `"Base only"`) {
		t.Errorf("after deleting the instance: %s", r.body)
	}
	if err := e.srv.DeleteClient("MyApp", ""); err != nil {
		t.Fatal(err)
	}
	figError(t, e.settings("MyApp", "", secret), 404, "No existing registration for client 'MyApp'")
	if err := e.srv.DeleteClient("MyApp", ""); !errors.Is(err, figapi.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	// The name is free again, with any secret.
	if r := e.register(otherSecret, fixtureB); r.status != 200 {
		t.Errorf("register after delete: %d %s", r.status, r.body)
	}
}

func TestValueOf(t *testing.T) {
	cases := []struct {
		kind string
		in   any
		want figapi.Value
	}{
		{"string", "x", figapi.String("x")},
		{"String", nil, figapi.NullString()},
		{"int", 5, figapi.Int(5)},
		{"Int32", 5.0, figapi.Int(5)},
		{"System.Int64", "9000000000", figapi.Long(9000000000)},
		{"double", 1, figapi.Double(1)},
		{"double", "2.5", figapi.Double(2.5)},
		{"bool", "true", figapi.Bool(true)},
		{"datetime", "2024-05-01T10:00:00Z", figapi.DateTime(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))},
		{"timespan", "00:00:30", figapi.TimeSpan(30 * time.Second)},
		{"timespan", "1m30s", figapi.TimeSpan(90 * time.Second)},
		{"json", map[string]any{"a": 1}, figapi.JSON(`{"a":1}`)},
		{"json", `{"b":2}`, figapi.JSON(`{"b":2}`)},
		{"datagrid", []any{"a", "b"}, figapi.List("a", "b")},
		{"list", []any{map[string]any{"User": "u", "Age": 3}}, figapi.DataGrid(figapi.NewRow("Age", int64(3), "User", "u"))},
		{"System.Collections.Generic.List`1[[System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib]], System.Private.CoreLib", nil, figapi.NullDataGrid()},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %v", c.kind, c.in), func(t *testing.T) {
			k, err := figapi.ParseKind(c.kind)
			if err != nil {
				t.Fatal(err)
			}
			got, err := figapi.ValueOf(k, c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Wire() != c.want.Wire() {
				t.Errorf("got %s, want %s", got.Wire(), c.want.Wire())
			}
		})
	}
	for _, bad := range []struct {
		kind figapi.Kind
		in   any
	}{{figapi.KindInt, 1.5}, {figapi.KindInt, 1 << 40}, {figapi.KindBool, "maybe"}, {figapi.KindString, 3}, {figapi.KindDateTime, "soon"}, {figapi.KindDataGrid, 3}} {
		if _, err := figapi.ValueOf(bad.kind, bad.in); err == nil {
			t.Errorf("ValueOf(%v, %v) succeeded", bad.kind, bad.in)
		}
	}
	if _, err := figapi.ParseKind("decimal"); err == nil {
		t.Error("ParseKind(decimal) succeeded")
	}
}

// TestSecretsStayOutOfPrintsAndLogs runs a registration, a fetch and a
// status with a JSON debug logger and checks that neither the client
// secret nor a secret value appears in the log or in a printed Value.
func TestSecretsStayOutOfPrintsAndLogs(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, figapi.Options{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	e.register(secret, fixtureB)
	if err := e.srv.SetValue("MyApp", "", "ApiKey", figapi.String("hunter2-value")); err != nil {
		t.Fatal(err)
	}
	e.settings("MyApp", "", secret)
	e.status("MyApp", "", secret, e.clock.Now())
	e.do(http.MethodGet, "/clients/MyApp/settings", map[string]string{"clientSecret": otherSecret}, nil)
	if !strings.Contains(logs.String(), `"route":"settings"`) {
		t.Fatalf("no request log: %s", logs.String())
	}
	v := e.srv.Clients()[0].Settings[1].Value
	printed := fmt.Sprintf("%v %+v %#v %s %q", v, v, v, v, v) + v.String()
	slog.New(slog.NewTextHandler(&logs, nil)).Info("value", "v", v)
	for _, leak := range []string{secret, otherSecret, "hunter2-value"} {
		if strings.Contains(logs.String(), leak) || strings.Contains(printed, leak) {
			t.Errorf("%q leaked:\nlogs: %s\nprinted: %s", leak, logs.String(), printed)
		}
	}
	if diff := cmp.Diff("figapi.Value(String)", v.String()); diff != "" {
		t.Error(diff)
	}
}

func TestDevAdminSurface(t *testing.T) {
	e := newEnv(t, figapi.Options{DevAdmin: true})
	seedMyApp(t, e)
	e.status("MyApp", "", secret, e.clock.Now())
	r := e.do(http.MethodGet, "/_dev/clients", nil, nil)
	want := `[{"name":"MyApp","settings":[{"name":"Location","kind":"String"},{"name":"RetryCount","kind":"Int"}],"runSessions":1}]`
	if r.status != 200 || r.body != want {
		t.Errorf("GET /_dev/clients: %d\n got %s\nwant %s", r.status, r.body, want)
	}
	put := func(path, body string) int {
		return e.do(http.MethodPut, path, nil, []byte(body)).status
	}
	if s := put("/_dev/clients/MyApp/settings/RetryCount", `{"$type":"Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts","value":8}`); s != 204 {
		t.Errorf("set value: %d", s)
	}
	if s := put("/_dev/clients/MyApp/settings/RetryCount", `{"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts","value":"8"}`); s != 400 {
		t.Errorf("set a wrong kind: %d", s)
	}
	if s := put("/_dev/clients/MyApp/settings/Nope", `{"$type":"Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts","value":8}`); s != 404 {
		t.Errorf("set an unknown setting: %d", s)
	}
	if s := e.do(http.MethodPost, "/_dev/runsessions/"+runID+"/restart", nil, nil).status; s != 204 {
		t.Errorf("restart: %d", s)
	}
	if s := put("/_dev/runsessions/"+runID+"/livereload?liveReload=false", ""); s != 204 {
		t.Errorf("live reload: %d", s)
	}
	rs := e.srv.RunSessions("MyApp")[0]
	if !rs.RestartRequested || rs.LiveReload {
		t.Errorf("run session after dev calls: %+v", rs)
	}
	if got := e.srv.Clients()[0].Settings[1].Value.Wire(); !strings.HasSuffix(got, `"value":8}`) {
		t.Errorf("RetryCount = %s", got)
	}
	if n := e.srv.Requests(figapi.RouteDev); n != 6 {
		t.Errorf("dev requests = %d", n)
	}
}
