package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	kvemu "github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/injector/status"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// pemKey is a Key Vault secret with what encoders escape: newlines, quotes
// and backslashes.
const pemKey = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQ\"quoted\"\\back\\slash+/=\n-----END PRIVATE KEY-----"

// leakedForms are the spellings of s that must appear in no outlet: the
// encodings error text uses, and each long line of a multi-line secret.
func leakedForms(s string) map[string]string {
	j, _ := json.Marshal(s)
	jq, _ := json.Marshal(strconv.Quote(s))
	forms := map[string]string{
		"raw": s, "%q": strconv.Quote(s), "json": string(j), "query": url.QueryEscape(s),
		"one line": strings.Join(strings.Fields(s), " "),
		// An error quoting a message that quotes the secret, as such or in a JSON outlet.
		"%q of %q": strconv.Quote(strconv.Quote(s)), "json of %q": string(jq),
	}
	for i, line := range strings.Split(s, "\n") {
		if len(line) >= 16 && line != s {
			forms[fmt.Sprintf("line %d", i+1)] = line
		}
	}
	return forms
}

// TestSecretsNeverLeakInEscapedForm is issue 12 item 2: a secret with
// quotes, backslashes and newlines reached the log and Fig's status
// %q-escaped through a template error. Every outlet is scanned: logs,
// /healthz, /readyz, Fig's status, with the secret echoed in each encoded
// form by a failing template and by a hostile vault's error message.
func TestSecretsNeverLeakInEscapedForm(t *testing.T) {
	f := newFixture(t)
	vault := f.env.Vaults["orders-kv"]
	if _, err := vault.SetSecret("api-key", pemKey); err != nil {
		t.Fatal(err)
	}
	tmpl := filepath.Join(filepath.Dir(f.out), "app.tmpl")
	writeFile(t, tmpl, `{{ get "Location" }}`)
	f.cfg.Outputs = append(f.cfg.Outputs, config.Output{Path: filepath.Join(filepath.Dir(f.out), "app.txt"), Format: "template", Template: tmpl, Mode: "0440"})
	a, _ := f.runAgent(f.cfg, f.options())
	f.awaitRunning(a)

	// The template now quotes the secret in its error; the vault echoes it.
	writeFile(t, tmpl, `{{ env (get "PaymentApiKey") }}`)
	j, _ := json.Marshal(pemKey)
	echo, _ := json.Marshal(map[string]any{"error": map[string]string{"code": "BadParameter",
		"message": fmt.Sprintf("no such secret %s or %q or %s", j, pemKey, url.QueryEscape(pemKey))}})
	for _, route := range []string{kvemu.RouteGet, kvemu.RouteList} {
		vault.Inject(route, kvemu.Fault{Status: http.StatusBadRequest, Body: string(echo)})
	}
	var figStatus string
	testutil.Eventually(t, "Fig's status showing both failures", 30*time.Second, func() bool {
		sessions := f.env.Fig.RunSessions("OrderService")
		figStatus = string(sessions[len(sessions)-1].LastStatus)
		return strings.Contains(figStatus, "BadParameter") && strings.Contains(figStatus, "template")
	})
	handler := status.Handler(a.Health(), nil)
	outlets := map[string]string{"logs": f.logs.String(), "Fig status": figStatus}
	for _, path := range []string{"/healthz", "/readyz"} {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		outlets[path] = rec.Body.String()
	}
	if !strings.Contains(outlets["/healthz"], "BadParameter") || !strings.Contains(outlets["logs"], "render failed") {
		t.Fatalf("the failures did not reach the outlets:\n%v", outlets)
	}
	for outlet, text := range outlets {
		for name, form := range leakedForms(pemKey) {
			if strings.Contains(text, form) || strings.Contains(text, strings.Trim(form, `"`)) {
				t.Errorf("%s carries the secret's %s form:\n%s", outlet, name, text)
			}
		}
	}
}

// TestEchoedSecretAndTokenNeverReachReadyz: before the first render,
// /readyz shows why the sources fail. A Fig API echoing the client secret
// Go-quoted (Fig's own check blanked only the raw text) and a bearer token
// in its message must show neither there, nor in the logs or the error.
func TestEchoedSecretAndTokenNeverReachReadyz(t *testing.T) {
	const clientSecret = `s3cr"et\with"quotes-0123456789abcdef`
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLWJ5dGVz"
	f := newFixture(t)
	secretFile := filepath.Join(t.TempDir(), "fig-secret")
	writeFile(t, secretFile, clientSecret+"\n")
	f.cfg.Fig.ClientSecret = config.ClientSecret{File: secretFile}
	echo, _ := json.Marshal(map[string]string{"ErrorType": "401", "Reference": "r",
		"Message": fmt.Sprintf("secret %q rejected; request had Authorization: Bearer %s", clientSecret, jwt)})
	f.useHostileFig(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(echo)
	}))
	f.cfg.InitTimeout = config.Dur(time.Second)
	a, err := agent.New(context.Background(), f.cfg, f.options())
	if err != nil {
		t.Fatal(err)
	}
	renderErr := a.RenderOnce(context.Background())
	rec := httptest.NewRecorder()
	status.Handler(a.Health(), nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	outlets := map[string]string{"/readyz": rec.Body.String(), "logs": f.logs.String(), "error": fmt.Sprint(renderErr)}
	if !strings.Contains(outlets["/readyz"], "rejected") {
		t.Fatalf("/readyz does not show Fig's failure: %s", outlets["/readyz"])
	}
	for outlet, text := range outlets {
		for name, form := range leakedForms(clientSecret) {
			if strings.Contains(text, strings.Trim(form, `"`)) {
				t.Errorf("%s carries the client secret's %s form:\n%s", outlet, name, text)
			}
		}
		if strings.Contains(text, jwt[:20]) {
			t.Errorf("%s carries the bearer token:\n%s", outlet, text)
		}
	}
}
