package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testMask = splitList(defaultMask)

func TestIsSecretKey(t *testing.T) {
	tests := []struct {
		key  string
		mask []string
		want bool
	}{
		{"Db:Password", testMask, true},
		{"ConnectionStrings:Orders", testMask, true},
		{"Stripe:ApiKey", testMask, true},
		{"clientsecret", testMask, true},
		{"Greeting", testMask, false},
		{"Hosts:0", testMask, false},
		{"Greeting", []string{"greet"}, true},
		{"Db:Password", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := isSecretKey(tt.key, tt.mask); got != tt.want {
				t.Errorf("isSecretKey(%q, %v) = %v, want %v", tt.key, tt.mask, got, tt.want)
			}
		})
	}
}

func TestMaskTree(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"leaf", `{"Db":{"Password":"p","Host":"h"}}`, `{"Db":{"Host":"h","Password":"****"}}`},
		{"subtree", `{"ConnectionStrings":{"Orders":"Server=x;Password=p"}}`, `{"ConnectionStrings":{"Orders":"****"}}`},
		{"array", `{"ApiKeys":["a","b"],"Hosts":["x"]}`, `{"ApiKeys":["****","****"],"Hosts":["x"]}`},
		{"null stays null", `{"Secret":null}`, `{"Secret":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in, want any
			mustUnmarshal(t, tt.in, &in)
			mustUnmarshal(t, tt.want, &want)
			if d := cmp.Diff(want, maskTree(in, testMask, "")); d != "" {
				t.Errorf("maskTree (-want +got):\n%s", d)
			}
		})
	}
}

func TestChangedKeys(t *testing.T) {
	var a, b any
	mustUnmarshal(t, `{"A":"1","B":{"C":"2"},"D":["x"]}`, &a)
	mustUnmarshal(t, `{"A":"1","B":{"C":"3"},"E":"new"}`, &b)
	got := changedKeys(flatten(a), flatten(b))
	if d := cmp.Diff([]string{"B:C", "D:0", "E"}, got); d != "" {
		t.Errorf("changedKeys (-want +got):\n%s", d)
	}
}

// TestReloadOnSIGHUP sends a real SIGHUP to the test process: the app's
// handler must catch it (not die) and reload the file the agent replaced.
func TestReloadOnSIGHUP(t *testing.T) {
	path := writeConfig(t, "", `{"Greeting":"hello","Db":{"Password":"first-secret"}}`)
	reloads := make(chan state, 4)
	a := newApp(path, testMask, discardLog())
	a.onReload = func(s state) { reloads <- s }
	a.reload("start")
	if s := await(t, reloads); s.Generation != 1 {
		t.Fatalf("start: generation %d, error %q", s.Generation, s.Error)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.watchSignals(ctx)

	writeConfig(t, path, `{"Greeting":"hi","Db":{"Password":"second-secret"}}`)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s := await(t, reloads)
	if s.Generation != 2 || s.Trigger != "SIGHUP" {
		t.Fatalf("after SIGHUP: generation %d trigger %q error %q", s.Generation, s.Trigger, s.Error)
	}
	if d := cmp.Diff([]string{"Db:Password", "Greeting"}, s.Changed); d != "" {
		t.Errorf("changed keys (-want +got):\n%s", d)
	}
	want := map[string]any{"Greeting": "hi", "Db": map[string]any{"Password": maskedValue}}
	if d := cmp.Diff(want, s.Config); d != "" {
		t.Errorf("config after SIGHUP (-want +got):\n%s", d)
	}
}

// TestHTTP drives the app as the agent's HTTP notification and a user do:
// POST /reload after the file changed, GET / to look, and a broken file
// that must not replace the last good config.
func TestHTTP(t *testing.T) {
	path := writeConfig(t, "", `{"Greeting":"hello","ConnectionStrings":{"Orders":"Server=db;Password=s3cr3t"}}`)
	var logs bytes.Buffer
	a := newApp(path, testMask, slog.New(slog.NewJSONHandler(&logs, nil)))
	srv := httptest.NewServer(a.handler())
	defer srv.Close()

	if code, _ := do(t, http.MethodGet, srv.URL+"/"); code != http.StatusServiceUnavailable {
		t.Errorf("GET / before the first load: %d, want 503", code)
	}
	if code, body := do(t, http.MethodPost, srv.URL+"/reload"); code != http.StatusOK {
		t.Fatalf("POST /reload: %d %s", code, body)
	}
	writeConfig(t, path, `{"Greeting":"howdy","ConnectionStrings":{"Orders":"Server=db;Password=n3w"}}`)
	if code, body := do(t, http.MethodPost, srv.URL+"/reload"); code != http.StatusOK {
		t.Fatalf("POST /reload: %d %s", code, body)
	}
	writeConfig(t, path, `{"Greeting":`) // a torn file (the agent never writes one; a human might)
	if code, _ := do(t, http.MethodPost, srv.URL+"/reload"); code != http.StatusInternalServerError {
		t.Errorf("POST /reload of a broken file: %d, want 500", code)
	}

	code, body := do(t, http.MethodGet, srv.URL+"/")
	if code != http.StatusOK {
		t.Fatalf("GET /: %d %s", code, body)
	}
	var got state
	mustUnmarshal(t, body, &got)
	want := map[string]any{"Greeting": "howdy", "ConnectionStrings": map[string]any{"Orders": maskedValue}}
	if d := cmp.Diff(want, got.Config); d != "" {
		t.Errorf("GET / config (-want +got):\n%s", d)
	}
	if got.Mode != "0440" {
		t.Errorf("GET /: mode %q, want 0440 (the agent's default)", got.Mode)
	}
	if got.Generation != 2 || got.Error == "" || got.Trigger != "POST /reload" {
		t.Errorf("GET /: generation %d trigger %q error %q; want 2, POST /reload, the parse error", got.Generation, got.Trigger, got.Error)
	}
	for _, secret := range []string{"s3cr3t", "n3w"} {
		if strings.Contains(body, secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("secret %q appears in the response or the logs:\n%s\n%s", secret, body, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"changed":["ConnectionStrings:Orders","Greeting"]`) {
		t.Errorf("the reload log does not name the changed keys:\n%s", logs.String())
	}
}

func TestPrint(t *testing.T) {
	const file = `{"Greeting":"hello","Db":{"Password":"hunter2"}}`
	path := writeConfig(t, "", file)
	tests := []struct {
		name    string
		args    []string
		want    string
		wantErr string
	}{
		{"masked", []string{"--print"}, "{\n  \"Db\": {\n    \"Password\": \"****\"\n  },\n  \"Greeting\": \"hello\"\n}\n", ""},
		{"verbatim", []string{"--print", "--show-secrets"}, file, ""},
		{"show-secrets alone", []string{"--show-secrets"}, "", "only applies to --print"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"--config", path}, tt.args...), &out, &errOut)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("run %v: error %v, want one containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("run %v: %v\n%s", tt.args, err, errOut.String())
			}
			if d := cmp.Diff(tt.want, out.String()); d != "" {
				t.Errorf("output (-want +got):\n%s", d)
			}
		})
	}
}

// writeConfig replaces path (a new file in a temp dir when "") the way the
// agent does: a temp file in the same directory, then rename.
func writeConfig(t *testing.T, path, content string) string {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "appsettings.json")
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o440); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func await(t *testing.T, ch <-chan state) state {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no reload within 10s")
		return state{}
	}
}

func do(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func mustUnmarshal(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("unmarshal %s: %v", s, err)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }
