package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/fig-injector/fig-injector/injector/dev/devca"
	"github.com/fig-injector/fig-injector/injector/inject"
)

const testConfig = `
image: ghcr.io/fig-injector/fig-injector:v1.0.0
nativeSidecar: true
figApiUri: https://fig-api.fig.svc:8080
allowedKeyVaultSuffixes: [vault.azure.net]
excludedNamespaces: [kube-system, fig-system]
`

// configMaps is an in-memory ConfigMapGetter keyed "namespace/name".
type configMaps map[string]*corev1.ConfigMap

func (m configMaps) GetConfigMap(_ context.Context, ns, name string) (*corev1.ConfigMap, error) {
	if cm, ok := m[ns+"/"+name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

// testServer is a webhook on a real TLS listener with its own CA.
type testServer struct {
	url    string
	client *http.Client
	reg    *prometheus.Registry
}

func startServer(t testing.TB, cfgYAML string, cms ConfigMapGetter) *testServer {
	t.Helper()
	cfg, err := ParseConfig([]byte(cfgYAML))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	h := NewHandler(cfg, cms, reg, log)
	srv := newServer(h, newReviewLimits(DefaultMemoryLimit, h.metrics), reg, func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &leaf.Certificate, nil }, log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &testServer{
		url:    "https://" + ln.Addr().String(),
		client: &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientTLSConfig()}},
		reg:    reg,
	}
}

// review wraps a pod in an AdmissionReview as the API server sends it.
func review(t testing.TB, pod *corev1.Pod, op admissionv1.Operation) []byte {
	t.Helper()
	_, body, err := reviewOf(pod, op, "uid-1")
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// reviewOf returns the pod as the API server sends it (raw) and wrapped in
// an AdmissionReview with the given UID (body). It reports instead of
// failing, for use off the test goroutine.
func reviewOf(pod *corev1.Pod, op admissionv1.Operation, uid string) (raw, body []byte, err error) {
	if raw, err = json.Marshal(pod); err != nil {
		return nil, nil, err
	}
	body, err = json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID(uid),
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Namespace: pod.Namespace,
			Operation: op,
			Object:    runtime.RawExtension{Raw: raw},
		},
	})
	return raw, body, err
}

// post sends a review to /mutate and decodes the response.
func (s *testServer) post(t testing.TB, body []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	resp, err := s.client.Post(s.url+"/mutate", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Response == nil {
		t.Fatal("review has no response")
	}
	return out.Response
}

func newPod(annotations ...string) *corev1.Pod {
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "shop", Labels: map[string]string{inject.InjectLabel: "true"}, Annotations: map[string]string{}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/orders:1"}}},
	}
	for i := 0; i+1 < len(annotations); i += 2 {
		pod.Annotations[annotations[i]] = annotations[i+1]
	}
	return pod
}
