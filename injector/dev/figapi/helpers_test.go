package figapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/dev/internal/devtest"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	secret      = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	otherSecret = "9b2e7c41-0d3a-4f6e-8a1b-5c7d9e2f4a60"
	runID       = "6a1f7c2e-0b9d-4a57-9a55-2c6f0d7f4e11"
)

// env is an emulator behind a real HTTP server with a fake clock.
type env struct {
	t      *testing.T
	srv    *figapi.Server
	url    string
	clock  *testutil.Clock
	events devtest.Events[figapi.Event]
}

func newEnv(t *testing.T, opts figapi.Options) *env {
	t.Helper()
	e := &env{t: t, clock: testutil.NewClock(time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC))}
	opts.Now = e.clock.Now
	opts.Observe = e.events.Add
	e.srv = figapi.New(opts)
	ts := httptest.NewServer(e.srv)
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

func (e *env) Events() []figapi.Event { return e.events.All() }

// response is one HTTP exchange's result.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request; headers are set verbatim (no canonicalisation) so
// the test shows the spelling Fig.Client uses.
func (e *env) do(method, path string, headers map[string]string, body []byte) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	for k, v := range headers {
		req.Header[k] = []string{v}
	}
	if _, set := headers["Content-Type"]; body != nil && !set {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// register posts a definition with the given secret (header spelled as
// Fig.Client spells it for registration).
func (e *env) register(secret string, def string) response {
	e.t.Helper()
	return e.do(http.MethodPost, "/clients", map[string]string{"ClientSecret": secret}, []byte(def))
}

// settings fetches a client's settings (header spelled as Fig.Client
// spells it for the fetch).
func (e *env) settings(client, query, secret string) response {
	e.t.Helper()
	path := "/clients/" + client + "/settings?runSessionId=" + runID
	if query != "" {
		path += "&" + query
	}
	return e.do(http.MethodGet, path, map[string]string{"clientSecret": secret, "Fig_Hostname": "pod-1"}, nil)
}

// status sends a status request with the given LastSettingUpdate.
func (e *env) status(client, query, secret string, last time.Time) response {
	e.t.Helper()
	path := "/statuses/" + client
	if query != "" {
		path += "?" + query
	}
	return e.do(http.MethodPut, path, map[string]string{"clientSecret": secret, "Fig_Hostname": "pod-1"}, statusBody(runID, last, 30000))
}

// statusBody is Fixture D's request with the given cursor and interval.
func statusBody(id string, last time.Time, pollMs float64) []byte {
	b, _ := json.Marshal(map[string]any{
		"RunSessionId": id, "StartTime": "2025-01-01T10:00:00.1234567Z",
		"LastSettingUpdate": last.UTC().Format("2006-01-02T15:04:05.9999999Z"),
		"PollIntervalMs":    pollMs, "FigVersion": "4.0.0.0", "ApplicationVersion": "1.0.0.0",
		"OfflineSettingsEnabled": true, "SupportsRestart": false, "RunningUser": "app",
		"MemoryUsageBytes": 73400320, "Health": nil, "CustomProperties": nil,
		"HasConfigurationError": false, "ConfigurationErrors": []string{},
	})
	return b
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// figError checks a Fig error body (Fixture E): exact member order, a null
// Detail and a GUID reference.
func figError(t *testing.T, r response, status int, message string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	msg, _ := json.Marshal(message)
	want := regexp.MustCompile(`^\{"ErrorType":"` + itoa(status) + `","Message":` +
		regexp.QuoteMeta(string(msg)) + `,"Detail":null,"Reference":"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"\}$`)
	if !want.MatchString(r.body) {
		t.Errorf("error body\n got %s\nwant %s", r.body, want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// problem checks an ASP.NET ProblemDetails body.
func problem(t *testing.T, r response, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("problem body %q: %v", r.body, err)
	}
	if m["status"] != float64(status) || strings.Contains(r.body, `"Reference"`) {
		t.Errorf("problem body %s: want status %d and no Reference", r.body, status)
	}
	return m
}

// golden compares got with testdata/name byte for byte; -update rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// objectsHaveTypeFirst walks a JSON document and reports every object
// whose first member is not "$type". Objects inside data-grid cells are
// JSON values (JObject), which carry no "$type", and are skipped.
func objectsHaveTypeFirst(t *testing.T, doc string) {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(doc))
	var walk func(check bool) error
	walk = func(check bool) error {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			first, row := true, false
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return err
				}
				if first && check && k != "$type" {
					t.Errorf("object starts with %q, want \"$type\"", k)
				}
				if first && k == "$type" {
					v, err := d.Token()
					if err != nil {
						return err
					}
					row = strings.HasPrefix(v.(string), "System.Collections.Generic.Dictionary")
					first = false
					continue
				}
				first = false
				if err := walk(check && !row); err != nil {
					return err
				}
			}
			_, err = d.Token()
			return err
		case json.Delim('['):
			for d.More() {
				if err := walk(check); err != nil {
					return err
				}
			}
			_, err = d.Token()
			return err
		}
		return nil
	}
	if err := walk(true); err != nil {
		t.Fatalf("walk %s: %v", doc, err)
	}
}

// fixtureB is the contract's Fixture B registration body.
const fixtureB = `{
  "$type": "Fig.Contracts.SettingDefinitions.SettingsClientDefinitionDataContract, Fig.Contracts",
  "Name": "MyApp",
  "Description": "My application",
  "Instance": null,
  "HasDisplayScripts": false,
  "Settings": [
    {
      "$type": "Fig.Contracts.SettingDefinitions.SettingDefinitionDataContract, Fig.Contracts",
      "Name": "Location",
      "Description": "City to report on",
      "IsSecret": false,
      "ValueType": "System.String",
      "Value": null,
      "DefaultValue": { "$type": "Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts", "Value": "Melbourne" },
      "DisplayOrder": 1,
      "SupportsLiveUpdate": true,
      "Classification": 0
    },
    {
      "$type": "Fig.Contracts.SettingDefinitions.SettingDefinitionDataContract, Fig.Contracts",
      "Name": "ApiKey",
      "Description": "Upstream API key",
      "IsSecret": true,
      "ValueType": "System.String",
      "DefaultValue": { "$type": "Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts", "Value": null },
      "DisplayOrder": 2,
      "SupportsLiveUpdate": true,
      "Classification": 0
    },
    {
      "$type": "Fig.Contracts.SettingDefinitions.SettingDefinitionDataContract, Fig.Contracts",
      "Name": "RetryCount",
      "Description": "Retries",
      "IsSecret": false,
      "ValueType": "System.Int32",
      "DefaultValue": { "$type": "Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts", "Value": 3 },
      "DisplayOrder": 3,
      "SupportsLiveUpdate": true,
      "Classification": 0
    },
    {
      "$type": "Fig.Contracts.SettingDefinitions.SettingDefinitionDataContract, Fig.Contracts",
      "Name": "Hosts",
      "Description": "Host list",
      "IsSecret": false,
      "ValueType": "System.Collections.Generic.List` + "`" + `1[[System.Collections.Generic.Dictionary` + "`" + `2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib]], System.Private.CoreLib",
      "DefaultValue": {
        "$type": "Fig.Contracts.Settings.DataGridSettingDataContract, Fig.Contracts",
        "Value": [
          { "$type": "System.Collections.Generic.Dictionary` + "`" + `2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib", "Values": "a.example" }
        ]
      },
      "DataGridDefinition": {
        "$type": "Fig.Contracts.SettingDefinitions.DataGridDefinitionDataContract, Fig.Contracts",
        "Columns": [ { "$type": "Fig.Contracts.SettingDefinitions.DataGridColumnDataContract, Fig.Contracts", "Name": "Values", "ValueType": "System.String", "ValidValues": null, "EditorLineCount": null, "IsReadOnly": false, "ValidationRegex": null, "ValidationExplanation": null, "IsSecret": false } ],
        "IsLocked": false
      },
      "DisplayOrder": 4,
      "SupportsLiveUpdate": true,
      "Classification": 0
    }
  ],
  "CustomActions": [],
  "ClientSettingOverrides": [],
  "ClientVersion": "1.0.0.0",
  "SettingMigrationResults": [],
  "Verifications": []
}`

// edit returns fixtureB with old replaced by new (exactly once).
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if strings.Count(fixtureB, old) != 1 {
		t.Fatalf("edit: %q occurs %d times in Fixture B", old, strings.Count(fixtureB, old))
	}
	return strings.Replace(fixtureB, old, new, 1)
}
