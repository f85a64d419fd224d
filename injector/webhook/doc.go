// Package webhook is the HTTP shell around package inject: an
// admission.k8s.io/v1 mutating webhook (the AdmissionReview types are
// k8s.io/api's; the JSON patch is computed by gomodules.xyz/jsonpatch's diff,
// never written by hand), served over TLS 1.2+ with certificate files
// re-read when they change, plus /healthz, /readyz and /metrics on its own
// registry.
//
// Per request (Handler.Review):
//
//	AdmissionReview ─► decode Pod ─► skip? (not CREATE, excluded namespace, not opted in)
//	  ─► inject.ParseRequest ─► (ConfigMap config: read it, Request.LoadConfig)
//	  ─► inject.Mutate on a copy ─► patch = diff(original, mutated)
//
// An *inject.AnnotationError becomes a denial (code 403) with its message;
// anything else the webhook cannot decide is a refusal with code 500 in the
// review, so the pod is not created unchanged behind the user's back. Only a
// webhook that cannot be reached (or answers with no review) is subject to
// the configuration's failurePolicy (Fail in the chart).
//
// The package deliberately does without controller-runtime and client-go's
// clientsets: they would triple the size of the one binary that every
// injected pod runs as its agent (SPEC §5: image under 20 MB).
package webhook
