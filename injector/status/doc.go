// Package status is the agent's HTTP surface for Kubernetes and Prometheus:
// /healthz (liveness), /readyz (readiness and the native sidecar's startup
// probe) and /metrics. It reads the agent through the small Health
// interface and records into Metrics on a registry the caller owns, so each
// agent (and each test) has its own and nothing is global.
//
// Nothing here may carry a secret: metric labels come from fixed sets or
// from a vault's host name, and health shows errors the caller has already
// redacted.
package status
