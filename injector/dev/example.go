package dev

import (
	"errors"
	"fmt"
	"os"

	exampledev "github.com/fig-injector/fig-injector/examples/dev"
)

// ExampleSeed returns examples/dev/seed.yaml, the demo seed.
func ExampleSeed() []byte { return exampledev.Seed() }

// WriteExampleSeed writes ExampleSeed to path unless a file is there
// already, so a user's edits survive restarts; created reports whether it
// wrote.
func WriteExampleSeed(path string) (created bool, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("write example seed: %w", err)
	}
	if _, err := f.Write(ExampleSeed()); err != nil {
		f.Close()
		return false, fmt.Errorf("write example seed: %w", err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("write example seed: %w", err)
	}
	return true, nil
}
