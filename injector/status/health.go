package status

import "time"

// Health is the read-only view of the agent that the probes need. The agent
// implements it; its methods are called from HTTP handlers, concurrently
// with the agent's loop, and must not block.
type Health interface {
	// Ready reports whether the first complete render happened, i.e. every
	// output file is in place. Once true it should stay true: from then on
	// the agent serves the last good file whatever the sources do.
	Ready() bool
	// Sources reports each source's state, in a stable order.
	Sources() []SourceHealth
	// Outputs reports each output file's last write, in a stable order.
	Outputs() []OutputHealth
}

// OutputHealth is one output file's state as /healthz shows it.
type OutputHealth struct {
	// Path is the output file.
	Path string `json:"path"`
	// LastError is why the last write failed (a full volume, permissions),
	// already redacted by the caller; empty when it succeeded.
	LastError string `json:"lastError,omitempty"`
}

// SourceHealth is one source's state as /healthz shows it.
type SourceHealth struct {
	// Name is SourceFig or KeyVaultSource(vaultURL).
	Name string `json:"name"`
	// LastSuccess is when the source last answered successfully; zero if
	// never.
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	// LastError is the last failure, already redacted by the caller (no
	// secret values; names of settings are fine). Empty after a success.
	LastError string `json:"lastError,omitempty"`
	// Stale is true when the values in use are older than the source's
	// poll interval allows (the agent decides the threshold).
	Stale bool `json:"stale"`
}
