// Package secret holds the one type that carries secret values through the
// program. A Value prints as a placeholder in every format the standard
// library, log/slog and encoding/json know, so a secret that reaches a log
// line, an error or a metric by mistake shows up as "[REDACTED]" instead of
// leaking.
//
// Reveal is called only where a value reaches its destination or must be
// read as text, in these packages (TestRevealCallers keeps the list true):
//   - output: the encoders writing the file (json, yaml, env, properties,
//     template);
//   - merge: finding and resolving Key Vault references in Fig values;
//   - source/fig: the client secret into its request header;
//   - source/keyvault and agent: the handover file a restarted agent reads
//     back, the Redactor's list of known secrets, and comparing a secret
//     with the reference it resolves;
//   - dev/figapi and dev/keyvault: the emulators' answers.
//
// Text that may quote a secret anyway (a template's error, a server's
// message) passes through a Redactor, which blanks every known secret in
// every encoded form and anything token-shaped, for every outlet at once.
package secret

import (
	"fmt"
	"log/slog"
)

// Redacted is what a Value prints as.
const Redacted = "[REDACTED]"

// Value is a secret string. The zero Value is the empty secret.
type Value struct{ s string }

// New wraps s.
func New(s string) Value { return Value{s: s} }

// Reveal returns the secret itself. Call it only where the value is written
// to its destination (the output file, an HTTP header).
func (v Value) Reveal() string { return v.s }

// IsZero reports whether the secret is empty.
func (v Value) IsZero() bool { return v.s == "" }

// Equal reports whether two secrets hold the same text.
func (v Value) Equal(o Value) bool { return v.s == o.s }

// String implements fmt.Stringer.
func (Value) String() string { return Redacted }

// GoString implements fmt.GoStringer, used by %#v.
func (Value) GoString() string { return Redacted }

// Format implements fmt.Formatter so that every verb (%s, %v, %q, %x …) prints
// the placeholder.
func (Value) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue implements slog.LogValuer.
func (Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON implements json.Marshaler.
func (Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler (used by YAML and map keys).
func (Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
