package dev

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/entra"
)

// File names inside Options.Dir. The CA files are devca's (ca.crt, ca.key).
const (
	SeedFileName      = "seed.yaml"        // the seed the CLI watches by default
	AgentConfigName   = "agent.yaml"       // the generated agent configuration
	TokenFileName     = "token"            // the federated token (AZURE_FEDERATED_TOKEN_FILE)
	FigSecretFileName = "fig-secret"       // the first client's secret (fig.clientSecret.file)
	OutputFileName    = "appsettings.json" // the agent's output in agent.yaml
)

// writeFile replaces path atomically (temp file in the same directory,
// fsync, rename), because an agent may read or watch it at any moment: it
// must see the old bytes or the new ones, never a partial file. Equal bytes
// are not rewritten, so watchers see no spurious change; changed reports
// whether a write happened.
func writeFile(path string, data []byte, perm os.FileMode) (changed bool, err error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	return true, nil
}

// tokenFile keeps the federated token file current, as the kubelet keeps a
// projected service-account token: a fresh token is written when the
// identity changes and again after 80% of its lifetime.
type tokenFile struct {
	path string
	ttl  time.Duration
	log  *slog.Logger
	kick chan struct{} // the identity changed: reschedule

	mu    sync.Mutex
	id    *entra.FederatedCredential // nil: no identity, no file
	renew time.Time                  // when the current token should be replaced
}

func newTokenFile(path string, ttl time.Duration, log *slog.Logger) *tokenFile {
	return &tokenFile{path: path, ttl: ttl, log: log, kick: make(chan struct{}, 1)}
}

// set mints a token for id now when it differs from the current identity
// (nil removes nothing: a stale file is harmless and tests may hold it).
func (t *tokenFile) set(id *entra.FederatedCredential) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id == nil || (t.id != nil && *t.id == *id) {
		return nil
	}
	c := *id
	t.id = &c
	if err := t.mintLocked(); err != nil {
		return err
	}
	select {
	case t.kick <- struct{}{}:
	default:
	}
	return nil
}

func (t *tokenFile) mintLocked() error {
	tok := entra.MintAssertion(t.id.Issuer, t.id.Subject, t.id.Audience, t.ttl)
	if _, err := writeFile(t.path, []byte(tok), 0o600); err != nil {
		return fmt.Errorf("federated token: %w", err)
	}
	t.renew = time.Now().Add(t.ttl * 4 / 5)
	return nil
}

// run refreshes the token until ctx ends.
func (t *tokenFile) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		t.mu.Lock()
		wait := time.Hour
		if t.id != nil {
			wait = max(time.Until(t.renew), 0)
		}
		t.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-t.kick:
			continue
		case <-timer.C:
		}
		t.mu.Lock()
		if t.id != nil && !time.Now().Before(t.renew) {
			if err := t.mintLocked(); err != nil {
				t.log.Error("federated token not refreshed; retrying in a minute", "error", err)
				t.renew = time.Now().Add(time.Minute)
			}
		}
		t.mu.Unlock()
	}
}
