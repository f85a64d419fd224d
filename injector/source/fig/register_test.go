package fig

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
)

// fakeRegistry answers /capabilities with caps (404 when empty), and
// POST /clients and PUT …/description with the given statuses.
func fakeRegistry(t *testing.T, caps string, registerStatus int, registerBody string) *figServer {
	return newFigServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/capabilities":
			if caps == "" {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			_, _ = io.WriteString(w, caps)
		case r.Method == http.MethodPost && r.URL.Path == "/clients":
			w.WriteHeader(registerStatus)
			_, _ = io.WriteString(w, registerBody)
		case r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/description"):
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusTeapot)
		}
	}))
}

func fixtureBDefinition(t *testing.T) contract.Definition {
	t.Helper()
	def, err := contract.LoadDeclaration("contract/testdata/declaration_b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return def
}

func TestRegisterWithCapabilities(t *testing.T) {
	srv := fakeRegistry(t, string(readFixture(t, "fixture_a_capabilities.json")), 200, "")
	c := newTestClient(t, srv, nil)
	def := fixtureBDefinition(t)
	if err := c.Register(context.Background(), def); err != nil {
		t.Fatal(err)
	}
	reqs := srv.wire.requests(t)
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want capabilities, register, description", len(reqs))
	}
	if reqs[0].line != "GET /capabilities HTTP/1.1" {
		t.Errorf("first request %q", reqs[0].line)
	}
	if _, ok := reqs[0].header("clientSecret"); ok {
		t.Error("capabilities is anonymous but got a secret")
	}
	post := reqs[1]
	if post.line != "POST /clients HTTP/1.1" {
		t.Errorf("register request %q", post.line)
	}
	if v, ok := post.header("ClientSecret"); !ok || v != testSecret {
		t.Errorf("ClientSecret header = %q, %v (headers %q)", v, ok, post.headers)
	}
	if v, _ := post.header("Content-Type"); v != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", v)
	}
	deferred := def
	deferred.Description = ""
	want := contract.EncodeDefinition("MyApp", deferred)
	if diff := cmp.Diff(string(want), string(post.body)); diff != "" {
		t.Errorf("register body (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(post.body), `"Description":null,"Instance":null`) {
		t.Errorf("description not deferred: %.200s", post.body)
	}
	if gz := len(want) >= 4096; post.gzipped != gz {
		t.Errorf("gzipped = %v for %d bytes (requestCompression advertised)", post.gzipped, len(want))
	}
	put := reqs[2]
	if put.line != "PUT /clients/MyApp/description HTTP/1.1" {
		t.Errorf("description request %q", put.line)
	}
	if v, ok := put.header("ClientSecret"); !ok || v != testSecret {
		t.Errorf("ClientSecret header = %q, %v", v, ok)
	}
	wantDesc := `{"$type":"Fig.Contracts.SettingClients.ClientDescriptionUpdateDataContract, Fig.Contracts","Description":"My application"}`
	if string(put.body) != wantDesc {
		t.Errorf("description body %s, want %s", put.body, wantDesc)
	}

	// capabilities are asked once per Client.
	if err := c.Register(context.Background(), def); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.wire.requests(t)); n != 5 {
		t.Errorf("%d requests after a second registration, want 5", n)
	}
}

func TestRegisterCompressesLargeBodies(t *testing.T) {
	srv := fakeRegistry(t, `{"apiVersion":"4.0.0.0","supportedFeatures":["requestCompression"]}`, 200, "")
	c := newTestClient(t, srv, nil)
	def := fixtureBDefinition(t)
	for len(contract.EncodeDefinition("MyApp", def)) < 4096 {
		s := def.Settings[0]
		s.Name += "X"
		def.Settings = append(def.Settings, s)
	}
	if err := c.Register(context.Background(), def); err != nil {
		t.Fatal(err)
	}
	post := srv.wire.requests(t)[1]
	if v, _ := post.header("Content-Encoding"); !post.gzipped || v != "gzip" {
		t.Errorf("not gzipped: %q", post.headers)
	}
	if diff := cmp.Diff(string(contract.EncodeDefinition("MyApp", def)), string(post.body)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestRegisterOldServer(t *testing.T) {
	srv := fakeRegistry(t, "", 200, "")
	c := newTestClient(t, srv, func(o *Options) { o.ClientVersion = "9.9.9" })
	def := fixtureBDefinition(t)
	def.ClientVersion = ""
	if err := c.Register(context.Background(), def); err != nil {
		t.Fatal(err)
	}
	reqs := srv.wire.requests(t)
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want capabilities and register only", len(reqs))
	}
	def.ClientVersion = "9.9.9"
	if diff := cmp.Diff(string(contract.EncodeDefinition("MyApp", def)), string(reqs[1].body)); diff != "" || reqs[1].gzipped {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestRegisterFailures(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   error
		want   string
	}{
		{"different secret", 401, `{"ErrorType":"401","Message":"Settings for client 'MyApp' have already been registered with a different secret.","Detail":null,"Reference":"a7e5c1d0"}`,
			ErrRegistrationRefused, "have already been registered with a different secret"},
		{"401 without Fig body", 401, ``, errUnauthorized, "rejected the client secret"},
		{"invalid setting", 400, `{"ErrorType":"400","Message":"Setting Location has no description","Detail":null,"Reference":"r"}`,
			errBadRequest, "Fig rejected the request: Setting Location has no description"},
		{"server error", 500, `{"ErrorType":"500","Message":"boom","Detail":null,"Reference":"r"}`, errServer, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeRegistry(t, "", tt.status, tt.body)
			c := newTestClient(t, srv, nil)
			err := c.Register(context.Background(), fixtureBDefinition(t))
			var se *source.Error
			if !errors.As(err, &se) || !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) || se.Op != "POST /clients" || se.StatusCode != tt.status {
				t.Errorf("error = %v", err)
			}
			var ae *apiError
			if errors.As(err, &ae) && tt.kind == ErrRegistrationRefused && ae.ErrorType != "401" {
				t.Errorf("ErrorType %q", ae.ErrorType)
			}
		})
	}
}

func TestRegisterChecksBeforeSending(t *testing.T) {
	srv := fakeRegistry(t, "", 200, "")
	for _, tt := range []struct {
		name   string
		secret string
		edit   func(*contract.Definition)
		want   string
	}{
		{"short secret", "too-short", nil, "at least 32"},
		{"few distinct characters", strings.Repeat("ab", 20), nil, "10 distinct"},
		{"setting without description", testSecret, func(d *contract.Definition) { d.Settings[0].Description = " " }, "description"},
		{"secret int", testSecret, func(d *contract.Definition) { d.Settings[2].IsSecret = true }, "only string settings can be secret"},
		{"no settings", testSecret, func(d *contract.Definition) { d.Settings = nil }, "no settings"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, srv, func(o *Options) { o.Secret = staticSecret(tt.secret) })
			def := fixtureBDefinition(t)
			if tt.edit != nil {
				tt.edit(&def)
			}
			err := c.Register(context.Background(), def)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), tt.secret) && tt.secret != testSecret {
				t.Errorf("error = %v", err)
			}
			if source.IsTemporary(err) {
				t.Error("temporary")
			}
		})
	}
	if n := len(srv.wire.requests(t)); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
