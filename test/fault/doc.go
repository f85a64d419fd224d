// Package fault is fig-injector's fault suite (issue 6, SPEC §5
// "Reliability"): a writer killed with SIGKILL mid-stream, a full output
// volume, Fig, Entra ID and Key Vault down, slow, failing and throttling, the
// federated token file rotated and briefly missing, and a storm of rapid
// changes. Every test runs the product's real code against the product's own
// emulators (injector/dev) on loopback, and is deterministic in what it
// asserts: timing only decides where a kill lands, never whether a test
// passes.
package fault
