package security

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binary is the fig-injector binary built from this checkout for the tests
// that run the real command line.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fig-injector-security-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "fig-injector")
	build := exec.Command("go", "build", "-o", binary, "github.com/fig-injector/fig-injector/cmd/fig-injector")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build fig-injector:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
