// Package output turns merged configuration entries into the bytes of one
// config file, and puts those bytes on disk atomically (SPEC §2.2).
//
// It is pure apart from Write: it knows nothing of HTTP, Kubernetes, Azure or
// logging. Values travel as secret.Value and are revealed only inside the
// encoders, where they are written out.
//
// # Data path
//
//	merge.Result.Entries ─► Encode(format) ─► bytes ─► Write(path, bytes, mode) ─► changed
//
// Encode keeps the order of its entries, so pass them sorted (merge sorts
// them); then equal configurations give equal bytes and Write reports no
// change. The formats:
//
//   - json: the tree of BuildTree as nested objects, every leaf a JSON
//     string, children "0".."n-1" as arrays, 2-space indent, trailing
//     newline. This is what Fig's appsettings generation writes and what the
//     .NET JSON provider reads back to the same keys.
//   - yaml: the same tree, every leaf a double-quoted string so that no YAML
//     reader retypes "True", "0.5", "on" or "0x1F".
//   - env: one NAME=value line per entry, ':' becoming '__' (the .NET
//     environment provider's convention), values quoted for the shell (see
//     the env.go rule).
//   - properties: one key=value line per entry, ':' becoming '.', with Java
//     .properties escaping; the file is pure ASCII.
//   - template: a Go text/template over the merged data (see ParseTemplate).
//
// # Problems
//
// JSON and YAML cannot express every set of keys: "A" with a value and "A:B"
// with another make "A" both a string and an object, and "A:x" and "a:Y"
// must share one spelling of "A". BuildTree resolves those (children win,
// first spelling wins) and returns a Problem per key it changed, naming the
// key, never the value. The caller logs them; the file is still written.
package output
