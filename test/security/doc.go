// Package security is fig-injector's secret-leak suite (SPEC §2.4, §5
// "Security"): it seeds the emulators with known secret values, drives the
// agent (in process and as the real binary), the render command and the dev
// emulators through success and failure paths, and scans everything they
// emit — JSON and text logs, stdout and stderr, /metrics, /healthz and
// /readyz bodies, returned errors, and what the agent reported to Fig — for
// those values. The only places a value may appear are the output file and
// `render --show-secrets`.
package security
