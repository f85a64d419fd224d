package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine,
// which signals every write.
type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.wrote <- struct{}{}:
	default:
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// `fig-injector dev` writes the example seed into an empty dir, starts the
// emulators, prints where they are and what to do, and stops on ctx.
func TestRunDev(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	out := &syncBuffer{wrote: make(chan struct{}, 1)}
	var errOut syncBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- runDev(ctx, []string{"--dir", dir, "--fig-port=0", "--entra-port=0", "--vault-port=0", "--san", "fig-dev.example"}, out, &errOut)
	}()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(out.String(), "Press Ctrl-C to stop.") {
		select {
		case <-out.wrote:
		case err := <-done:
			t.Fatalf("runDev returned early: %v\n%s\n%s", err, out, errOut.String())
		case <-deadline:
			t.Fatalf("no summary within 30s:\n%s", out)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("runDev: %v\n%s", err, errOut.String())
	}
	seed, err := os.ReadFile(filepath.Join(dir, "seed.yaml"))
	if err != nil || !bytes.Equal(seed, dev.ExampleSeed()) {
		t.Errorf("seed.yaml is not the example (%v)", err)
	}
	for _, want := range []string{"Wrote the example seed", "Fig API    https://127.0.0.1:", "Key Vault  https://127.0.0.1:", "orders-kv",
		"agent.yaml", "fig-injector agent --mode=sidecar --config", "Stopping the emulators."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunDevBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{{"--log-format=xml"}, {"--nope"}, {"extra"}} {
		if err := runDev(t.Context(), append([]string{"--dir", t.TempDir()}, args...), &out, &errOut); err == nil {
			t.Errorf("runDev %v: no error", args)
		}
	}
}

// --issuer-ca must name a PEM bundle: a missing or empty file is refused
// before anything starts, naming the flag.
func TestRunDevIssuerCA(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{filepath.Join(t.TempDir(), "missing.pem"), empty} {
		var out, errOut syncBuffer
		err := runDev(t.Context(), []string{"--dir", t.TempDir(), "--issuer-ca", file}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "--issuer-ca") {
			t.Errorf("--issuer-ca %s: %v, want an error naming the flag", file, err)
		}
	}
}
