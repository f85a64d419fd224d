// Package inject is the webhook's pure core: a pod's fig-injector.io/*
// annotations become a typed Request (ParseRequest), and Mutate injects the
// agent into the pod as the Request asks, within the cluster's Settings.
// Nothing here does I/O; the webhook package is the HTTP shell around it.
//
// The data path, from SPEC §3:
//
//	pod annotations ─► ParseRequest ─► Request ─┐
//	(ConfigMap config ─► Request.LoadConfig) ───┤
//	chart config ─► Settings ───────────────────┴─► Mutate(pod) ─► patched pod
//
// Errors meant for the pod's author are *AnnotationError: they name the
// annotation and the fix, and the webhook returns them as denials.
package inject
