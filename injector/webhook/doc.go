// Package webhook is the HTTP shell around package inject: an
// admission.k8s.io/v1 mutating webhook (controller-runtime's admission
// package decodes the typed Pod; the JSON patch is computed by diff, never
// written by hand), served over TLS 1.2+ with certificate files re-read when
// they change, plus /healthz, /readyz and /metrics on its own registry.
//
// Per request (Handler.Handle):
//
//	AdmissionReview ─► decode Pod ─► skip? (not CREATE, excluded namespace, not opted in)
//	  ─► inject.ParseRequest ─► (ConfigMap config: read it, Request.LoadConfig)
//	  ─► inject.Mutate on a copy ─► patch = diff(original, mutated)
//
// An *inject.AnnotationError becomes admission.Denied with its message;
// anything else is an error (HTTP 500 in the review), which the API server
// treats per the configuration's failurePolicy (Fail in the chart).
package webhook
