// Package dev holds the demo seed of `fig-injector dev` (seed.yaml in this
// directory). It is embedded rather than copied so that the file users read
// in the repository and the one the binary writes to ./demo/seed.yaml are the
// same bytes.
package dev

import _ "embed"

// seed is the content of examples/dev/seed.yaml.
//
//go:embed seed.yaml
var seed []byte

// Seed returns a copy of examples/dev/seed.yaml, so callers cannot change
// what the next caller gets.
func Seed() []byte { return append([]byte(nil), seed...) }
