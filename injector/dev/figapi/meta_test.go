package figapi_test

import (
	"net/http"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

func TestProbes(t *testing.T) {
	fixtureA, err := os.ReadFile("testdata/fixture_a.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, method, path string
		opts               figapi.Options
		status             int
		contentType        string
		body               string
	}{
		{"health", "GET", "/_health", figapi.Options{}, 200, "application/json",
			`{"status":"Healthy","totalDuration":"00:00:00.0010000","entries":{"Database":{"data":{},"duration":"00:00:00.0010000","status":"Healthy","tags":[]}}}`},
		{"health any case, trailing slash", "GET", "/_HEALTH/", figapi.Options{}, 200, "application/json", ""},
		{"capabilities (Fixture A)", "GET", "/capabilities", figapi.Options{}, 200, "application/json; charset=utf-8", string(fixtureA)},
		{"capabilities of an older server", "GET", "/capabilities", figapi.Options{NoCapabilities: true}, 404, "", ""},
		{"capabilities configured", "GET", "/capabilities", figapi.Options{Capabilities: []string{}, APIVersion: "3.7.2.0"}, 200, "application/json; charset=utf-8",
			`{"$type":"Fig.Contracts.Capabilities.FigCapabilitiesDataContract, Fig.Contracts","apiVersion":"3.7.2.0","supportedFeatures":[]}`},
		{"api version before any change", "GET", "/apiversion", figapi.Options{}, 200, "application/json; charset=utf-8",
			`{"$type":"Fig.Contracts.Status.ApiVersionDataContract, Fig.Contracts","apiVersion":"4.0.0.0","hostname":"","lastSettingChange":"0001-01-01T00:00:00"}`},
		{"wrong method", "POST", "/_health", figapi.Options{}, 405, "", ""},
		{"wrong method on settings", "POST", "/clients/MyApp/settings", figapi.Options{}, 405, "", ""},
		{"GET /clients is not a client route", "GET", "/clients", figapi.Options{}, 405, "", ""},
		{"unknown route", "GET", "/nope", figapi.Options{}, 404, "", ""},
		{"dev surface off by default", "GET", "/_dev/clients", figapi.Options{}, 404, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.opts)
			r := e.do(c.method, c.path, nil, nil)
			if r.status != c.status {
				t.Fatalf("status = %d, want %d (%s)", r.status, c.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); c.contentType != "" && ct != c.contentType {
				t.Errorf("Content-Type = %q, want %q", ct, c.contentType)
			}
			if c.body != "" && r.body != c.body {
				t.Errorf("body\n got %s\nwant %s", r.body, c.body)
			}
		})
	}
}

// TestAPIVersionMovesOnChanges checks the global LastSettingChange stamp.
func TestAPIVersionMovesOnChanges(t *testing.T) {
	e := newEnv(t, figapi.Options{})
	e.clock.Add(1500 * time.Millisecond)
	e.register(secret, fixtureB)
	want := regexp.MustCompile(`"lastSettingChange":"2025-01-01T10:00:01\.5Z"\}$`)
	if r := e.do("GET", "/apiversion", nil, nil); !want.MatchString(r.body) {
		t.Errorf("after registration: %s", r.body)
	}
	e.clock.Add(time.Second)
	if err := e.srv.SetValue("MyApp", "", "RetryCount", figapi.Int(9)); err != nil {
		t.Fatal(err)
	}
	want = regexp.MustCompile(`"lastSettingChange":"2025-01-01T10:00:02\.5Z"\}$`)
	if r := e.do(http.MethodGet, "/apiversion", nil, nil); !want.MatchString(r.body) {
		t.Errorf("after a value change: %s", r.body)
	}
}
