package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fig-injector/fig-injector/injector/inject"
)

const (
	clientName   = "fig-injector.io/client-name"
	clientSecret = "fig-injector.io/client-secret"
)

// applyPatch applies a response's JSON patch to the raw object the API
// server sent, as the API server does.
func applyPatch(t *testing.T, raw []byte, resp *admissionv1.AdmissionResponse) *corev1.Pod {
	t.Helper()
	out := raw
	if len(resp.Patch) > 0 {
		if resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
			t.Fatalf("patch type %v, want JSONPatch", resp.PatchType)
		}
		p, err := jsonpatch.DecodePatch(resp.Patch)
		if err != nil {
			t.Fatal(err)
		}
		if out, err = p.Apply(raw); err != nil {
			t.Fatalf("apply patch: %v", err)
		}
	}
	var pod corev1.Pod
	if err := json.Unmarshal(out, &pod); err != nil {
		t.Fatal(err)
	}
	return &pod
}

// TestRealReview posts an AdmissionReview as the API server sends it for a
// ReplicaSet's pod, applies the returned patch to the raw object, and
// expects exactly what inject.Mutate makes of the pod. Then it re-submits
// the patched pod (a reinvocation) and expects no patch.
func TestRealReview(t *testing.T) {
	s := startServer(t, testConfig, nil)
	body, err := os.ReadFile("testdata/admissionreview-pod.json")
	if err != nil {
		t.Fatal(err)
	}
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &ar); err != nil {
		t.Fatal(err)
	}
	resp := s.post(t, body)
	if !resp.Allowed || resp.UID != ar.Request.UID {
		t.Fatalf("allowed=%v uid=%q result=%+v", resp.Allowed, resp.UID, resp.Result)
	}
	got := applyPatch(t, ar.Request.Object.Raw, resp)

	var want corev1.Pod
	if err := json.Unmarshal(ar.Request.Object.Raw, &want); err != nil {
		t.Fatal(err)
	}
	cfg, _ := ParseConfig([]byte(testConfig))
	req, err := inject.ParseRequest(&want)
	if err != nil {
		t.Fatal(err)
	}
	if err := inject.Mutate(&want, req, cfg.Settings); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&want, got); d != "" {
		t.Errorf("patched pod differs from inject.Mutate (-want +got):\n%s", d)
	}
	for _, op := range patchOps(t, resp.Patch) {
		if op == "remove" {
			t.Errorf("patch removes something: %s", resp.Patch)
		}
	}

	again := s.post(t, review(t, got, admissionv1.Create))
	if !again.Allowed || len(again.Patch) != 0 {
		t.Errorf("re-submitted pod: allowed=%v patch=%s, want allowed with no patch", again.Allowed, again.Patch)
	}
}

func patchOps(t *testing.T, patch []byte) []string {
	var ops []struct{ Op string }
	if err := json.Unmarshal(patch, &ops); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range ops {
		out = append(out, o.Op)
	}
	return out
}

func TestHandleResults(t *testing.T) {
	cms := configMaps{
		"shop/orders-fig": {Data: map[string]string{"config.yaml": "fig:\n  clientName: OrderService\n  clientSecret: {file: /etc/fig-injector/client-secret/secret}\noutputs: [{path: /fig/appsettings.json}]\nlisten: \":9102\"\n"}},
		"shop/evil-fig":   {Data: map[string]string{"config.yaml": "fig:\n  clientName: OrderService\n  apiUri: https://evil.example\noutputs: [{path: /fig/appsettings.json}]\nlisten: \":9102\"\n"}},
	}
	s := startServer(t, testConfig, cms)
	unlabelled := newPod(clientName, "OrderService", clientSecret, "s/k")
	unlabelled.Labels = nil
	excluded := newPod(clientName, "OrderService", clientSecret, "s/k")
	excluded.Namespace = "kube-system"
	tests := []struct {
		name    string
		pod     *corev1.Pod
		op      admissionv1.Operation
		allowed bool
		patched bool
		message string // substring of the denial
	}{
		{"injected", newPod(clientName, "OrderService", clientSecret, "s/k"), admissionv1.Create, true, true, ""},
		{"configmap config", newPod("fig-injector.io/config-configmap", "orders-fig", clientSecret, "orders-fig/secret"), admissionv1.Create, true, true, ""},
		{"not labelled", unlabelled, admissionv1.Create, true, false, ""},
		{"excluded namespace", excluded, admissionv1.Create, true, false, ""},
		{"update", newPod(clientName, "OrderService", clientSecret, "s/k"), admissionv1.Update, true, false, ""},
		{"bad annotations", newPod(clientName, "Order.Service", "fig-injector.io/mode", "sidecar"), admissionv1.Create, false, false,
			`fig-injector: fig-injector.io/client-name: "Order.Service" contains a character Fig forbids`},
		{"every problem named", newPod("fig-injector.io/mode", "sidecar"), admissionv1.Create, false, false, "; and fig-injector.io/mode:"},
		{"allowlist", newPod(clientName, "OrderService", clientSecret, "s/k", "fig-injector.io/fig-api-uri", "https://evil.example"), admissionv1.Create, false, false,
			`fig-injector.io/fig-api-uri: "https://evil.example" is not in the allowlist`},
		{"configmap allowlist", newPod("fig-injector.io/config-configmap", "evil-fig"), admissionv1.Create, false, false,
			`fig-injector.io/config-configmap: ConfigMap evil-fig key config.yaml: fig.apiUri "https://evil.example" is not in the allowlist`},
		{"configmap missing", newPod("fig-injector.io/config-configmap", "nope"), admissionv1.Create, false, false, `ConfigMap "nope" not found in namespace "shop"; fix: create it`},
		{"configmap key missing", newPod("fig-injector.io/config-configmap", "orders-fig/app.yaml"), admissionv1.Create, false, false, `has no key "app.yaml"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.post(t, review(t, tc.pod, tc.op))
			if resp.Allowed != tc.allowed || (len(resp.Patch) > 0) != tc.patched {
				t.Fatalf("allowed=%v patch=%s result=%+v; want allowed=%v patched=%v", resp.Allowed, resp.Patch, resp.Result, tc.allowed, tc.patched)
			}
			if tc.message != "" && (resp.Result == nil || !strings.Contains(resp.Result.Message, tc.message) || resp.Result.Code != http.StatusForbidden) {
				t.Errorf("denial %+v, want code 403 and a message containing %q", resp.Result, tc.message)
			}
		})
	}

	metrics := s.get(t, "/metrics")
	for _, line := range []string{
		`fig_injector_webhook_admissions_total{result="injected"} 2`,
		`fig_injector_webhook_admissions_total{result="skipped"} 3`,
		`fig_injector_webhook_admissions_total{result="denied"} 6`,
		`fig_injector_webhook_admission_duration_seconds_count 11`,
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %q", line)
		}
	}
}

// TestConfigMapWithoutAPIAccess: a webhook that cannot read ConfigMaps
// denies pods whose config it cannot check, instead of admitting them.
func TestConfigMapWithoutAPIAccess(t *testing.T) {
	s := startServer(t, testConfig, nil)
	resp := s.post(t, review(t, newPod("fig-injector.io/config-configmap", "orders-fig"), admissionv1.Create))
	if resp.Allowed || !strings.Contains(resp.Result.Message, "cannot check a ConfigMap config") {
		t.Errorf("got allowed=%v %+v", resp.Allowed, resp.Result)
	}
}

func TestBadRequests(t *testing.T) {
	s := startServer(t, testConfig, nil)
	notAPod := review(t, newPod(), admissionv1.Create)
	notAPod = []byte(strings.Replace(string(notAPod), `"spec":{`, `"spec":{"containers":"nope",`, 1))
	resp := s.post(t, notAPod)
	if resp.Allowed || resp.Result.Code != http.StatusBadRequest {
		t.Errorf("undecodable pod: %+v", resp.Result)
	}
	r, err := s.client.Get(s.url + "/mutate")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /mutate: %d", r.StatusCode)
	}
}

func TestHealthAndReady(t *testing.T) {
	s := startServer(t, testConfig, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		if got := s.get(t, path); got != "ok\n" {
			t.Errorf("%s = %q", path, got)
		}
	}
}

func (s *testServer) get(t *testing.T, path string) string {
	t.Helper()
	r, err := s.client.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// forbiddenConfigMaps answers every read as the API server does when RBAC
// (the chart's rbac.configMapNamespaces) does not cover the namespace.
type forbiddenConfigMaps struct{}

func (forbiddenConfigMaps) GetConfigMap(_ context.Context, _, name string) (*corev1.ConfigMap, error) {
	return nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, name, errors.New("RBAC: access denied"))
}

// TestConfigMapOutsideTheAllowedNamespaces: with ConfigMap reads scoped to
// some namespaces, a pod elsewhere naming a ConfigMap config is denied with
// a reason and a fix (not an internal error).
func TestConfigMapOutsideTheAllowedNamespaces(t *testing.T) {
	s := startServer(t, testConfig, forbiddenConfigMaps{})
	resp := s.post(t, review(t, newPod("fig-injector.io/config-configmap", "orders-fig"), admissionv1.Create))
	if resp.Allowed || resp.Result.Code != http.StatusForbidden || !strings.Contains(resp.Result.Message, `the webhook may not read ConfigMaps in namespace "shop"`) {
		t.Errorf("got allowed=%v %+v", resp.Allowed, resp.Result)
	}
}
