package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/dev/devca"
)

// `fig-injector relay` refuses to start without its required flags (usage,
// exit 2) and with a web hook hash that is not one (the error names the fix),
// before it listens or needs a cluster.
func TestRunRelayRefusesBadStarts(t *testing.T) {
	dir := t.TempDir()
	ca, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue()
	if err != nil {
		t.Fatal(err)
	}
	if err := devca.WriteLeaf(dir, leaf); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "hash")
	if err := os.WriteFile(plain, []byte("not-a-hash\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tls := []string{"--tls-cert-file", filepath.Join(dir, devca.CertFile), "--tls-key-file", filepath.Join(dir, devca.KeyFile)}
	tests := []struct {
		name    string
		args    []string
		usage   bool
		wantErr string
	}{
		{"no hash file", tls, true, "--webhook-secret-hash-file is required"},
		{"no certificate", []string{"--webhook-secret-hash-file", plain}, true, "--tls-cert-file is required"},
		{"a plain secret instead of its hash", append([]string{"--webhook-secret-hash-file", plain}, tls...), false, "fix: paste the hashed secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := runRelay(context.Background(), tt.args, &bytes.Buffer{}, &stderr)
			if errors.Is(err, errUsage) != tt.usage {
				t.Fatalf("error %v, usage %v; want usage %v", err, errors.Is(err, errUsage), tt.usage)
			}
			got := stderr.String()
			if err != nil && !tt.usage {
				got = err.Error()
			}
			if !strings.Contains(got, tt.wantErr) {
				t.Errorf("got %q, want it to contain %q", got, tt.wantErr)
			}
			if strings.Contains(got, "not-a-hash") {
				t.Errorf("the error shows the file's content: %q", got)
			}
		})
	}
}
