package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	kjson "sigs.k8s.io/json"

	"github.com/fig-injector/fig-injector/injector/inject"
)

// configMapTimeout bounds the one API read a request may make; the chart's
// timeoutSeconds (10) bounds the whole review.
const configMapTimeout = 3 * time.Second

// Handler mutates pods. Everything that does not change per request (the
// settings with defaults applied, the excluded namespaces) is resolved once
// in NewHandler; Review only reads it and is safe for concurrent use.
type Handler struct {
	cfg        Config
	configMaps ConfigMapGetter
	metrics    *metrics
	log        *slog.Logger
}

// NewHandler returns a Handler for cfg (from LoadConfig or ParseConfig).
// configMaps may be nil: pods naming a ConfigMap config are then denied,
// since their config cannot be checked. Metrics are registered on reg.
func NewHandler(cfg *Config, configMaps ConfigMapGetter, reg prometheus.Registerer, log *slog.Logger) *Handler {
	return &Handler{
		cfg:        *cfg,
		configMaps: configMaps,
		metrics:    newMetrics(reg),
		log:        log,
	}
}

// Review answers one admission request: it mutates the pod in it, and
// records the result and latency.
func (h *Handler) Review(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	start := time.Now()
	resp, result, pod := h.handle(ctx, req)
	h.metrics.observe(result, time.Since(start))
	attrs := []any{"result", result, "namespace", req.Namespace, "pod", pod, "uid", string(req.UID)}
	switch result {
	case resultSkipped, resultUnchanged:
		h.log.Debug("admission", attrs...)
	case resultError:
		h.log.Error("admission", append(attrs, "error", resp.Result.Message)...)
	case resultDenied:
		h.log.Info("admission", append(attrs, "reason", resp.Result.Message)...)
	default:
		h.log.Info("admission", append(attrs, "patchBytes", len(resp.Patch))...)
	}
	return resp
}

// handle returns the response, the result label and the pod's name for logs.
func (h *Handler) handle(ctx context.Context, req *admissionv1.AdmissionRequest) (*admissionv1.AdmissionResponse, string, string) {
	if req.Operation != admissionv1.Create || req.Kind.Kind != "Pod" || req.Kind.Group != "" {
		return allowed("fig-injector mutates pods on CREATE only"), resultSkipped, req.Name
	}
	var pod corev1.Pod
	if err := kjson.UnmarshalCaseSensitivePreserveInts(req.Object.Raw, &pod); err != nil {
		return failed(http.StatusBadRequest, fmt.Errorf("decode pod: %w", err)), resultError, req.Name
	}
	name := pod.Name
	if name == "" {
		name = pod.GenerateName
	}
	if slices.Contains(h.cfg.ExcludedNamespaces, req.Namespace) {
		return allowed("namespace excluded from fig-injector"), resultSkipped, name
	}
	if !inject.Requested(&pod) {
		return allowed("pod not labelled " + inject.InjectLabel + "=true"), resultSkipped, name
	}
	ir, err := inject.ParseRequest(&pod)
	if err != nil {
		return denied(err), resultDenied, name
	}
	if ir.ConfigMap != nil {
		if resp, result, ok := h.loadConfig(ctx, req.Namespace, &ir); !ok {
			return resp, result, name
		}
	}
	mutated := pod.DeepCopy()
	if err := inject.Mutate(mutated, ir, h.cfg.Settings); err != nil {
		var ae *inject.AnnotationError
		if errors.As(err, &ae) {
			return denied(err), resultDenied, name
		}
		return failed(http.StatusInternalServerError, err), resultError, name
	}
	resp, err := patch(&pod, mutated)
	if err != nil {
		return failed(http.StatusInternalServerError, err), resultError, name
	}
	if len(resp.Patch) == 0 {
		return resp, resultUnchanged, name
	}
	return resp, resultInjected, name
}

// loadConfig reads the ConfigMap config into ir. ok is false when the
// response is final (denied or error).
func (h *Handler) loadConfig(ctx context.Context, namespace string, ir *inject.Request) (*admissionv1.AdmissionResponse, string, bool) {
	ref := ir.ConfigMap
	if h.configMaps == nil {
		return deny(inject.ConfigConfigMapAnnotation + ": this webhook runs without Kubernetes API access and cannot check a ConfigMap config; fix: use annotations, or give the webhook API access (the chart does)"), resultDenied, false
	}
	ctx, cancel := context.WithTimeout(ctx, configMapTimeout)
	defer cancel()
	cm, err := h.configMaps.GetConfigMap(ctx, namespace, ref.Name)
	switch {
	case apierrors.IsNotFound(err):
		return deny(fmt.Sprintf("%s: ConfigMap %q not found in namespace %q; fix: create it before the pod", inject.ConfigConfigMapAnnotation, ref.Name, namespace)), resultDenied, false
	case apierrors.IsForbidden(err):
		return deny(fmt.Sprintf("%s: the webhook may not read ConfigMaps in namespace %q (the chart's rbac.configMapNamespaces leaves it out); fix: use annotations, or ask the cluster admin to add the namespace", inject.ConfigConfigMapAnnotation, namespace)), resultDenied, false
	case err != nil:
		return failed(http.StatusInternalServerError, fmt.Errorf("read ConfigMap %s/%s: %w", namespace, ref.Name, err)), resultError, false
	}
	data, ok := cm.Data[ref.Key]
	if !ok {
		return deny(fmt.Sprintf("%s: ConfigMap %q has no key %q; fix: name the key as <configmap>/<key>, or use the key %s", inject.ConfigConfigMapAnnotation, ref.Name, ref.Key, inject.DefaultConfigKey)), resultDenied, false
	}
	if err := ir.LoadConfig([]byte(data)); err != nil {
		return denied(err), resultDenied, false
	}
	return nil, "", true
}

// denied turns ParseRequest's joined errors into one line: the message ends
// up in `kubectl` output and in events, which show one line.
func denied(err error) *admissionv1.AdmissionResponse {
	var msgs []string
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			msgs = append(msgs, e.Error())
		}
	} else {
		msgs = []string{err.Error()}
	}
	msg := "fig-injector: " + msgs[0]
	for _, m := range msgs[1:] {
		msg += "; and " + m
	}
	return deny(msg)
}

// patch diffs the typed original against the mutated pod into an allowing
// response with a JSON patch (none when nothing changed). Both sides are
// marshalled from the same Go types, so fields this build does not know (a
// newer API server) are absent from both and never patched away; the patch
// only touches what Mutate changed, and applies to the raw object because
// every path it names exists there.
func patch(original, mutated *corev1.Pod) (*admissionv1.AdmissionResponse, error) {
	before, err := json.Marshal(original)
	if err != nil {
		return nil, fmt.Errorf("marshal pod: %w", err)
	}
	after, err := json.Marshal(mutated)
	if err != nil {
		return nil, fmt.Errorf("marshal mutated pod: %w", err)
	}
	ops, err := jsonpatch.CreatePatch(before, after)
	if err != nil {
		return nil, fmt.Errorf("diff pods: %w", err)
	}
	resp := &admissionv1.AdmissionResponse{Allowed: true}
	if len(ops) == 0 {
		return resp, nil
	}
	if resp.Patch, err = json.Marshal(ops); err != nil {
		return nil, fmt.Errorf("marshal patch: %w", err)
	}
	pt := admissionv1.PatchTypeJSONPatch
	resp.PatchType = &pt
	return resp, nil
}
