package keyvault

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/secret"
)

// ErrNotFound is returned by the admin methods for a secret or version the
// vault does not hold.
var ErrNotFound = errors.New("not found")

// secretEntry is one secret with all its versions, oldest first.
type secretEntry struct {
	name     string // as first created; ids use it
	versions []*version
}

// version is one secret version.
type version struct {
	id          string // 32 lower-case hex characters, like the service's
	value       secret.Value
	contentType string
	tags        map[string]string
	enabled     bool
	notBefore   time.Time // zero: none
	expires     time.Time // zero: none
	created     time.Time
	updated     time.Time
}

// SecretOption sets an attribute of a version created by SetSecret.
type SecretOption func(*version)

// WithContentType sets the version's contentType.
func WithContentType(ct string) SecretOption { return func(v *version) { v.contentType = ct } }

// WithTags sets the version's tags (copied).
func WithTags(tags map[string]string) SecretOption {
	return func(v *version) { v.tags = maps.Clone(tags) }
}

// WithEnabled sets whether the version is enabled (default true).
func WithEnabled(enabled bool) SecretOption { return func(v *version) { v.enabled = enabled } }

// WithNotBefore sets the version's nbf attribute. Like the real service the
// emulator only reports it; it does not refuse reads before it.
func WithNotBefore(t time.Time) SecretOption { return func(v *version) { v.notBefore = t } }

// WithExpires sets the version's exp attribute. Like the real service the
// emulator only reports it; expired secrets are still returned.
func WithExpires(t time.Time) SecretOption { return func(v *version) { v.expires = t } }

// SetSecret stores value as a new, latest version of name (creating the
// secret if needed) and returns the new version ID. Names are
// case-insensitive, as in Key Vault; the first spelling is kept in ids.
func (s *Server) SetSecret(name, value string, opts ...SecretOption) (string, error) {
	if !secretNamePattern.MatchString(name) {
		return "", fmt.Errorf("set secret %q: name must be 1-127 letters, digits and hyphens", name)
	}
	now := s.now()
	v := &version{id: newVersionID(), value: secret.New(value), enabled: true, created: now, updated: now}
	for _, o := range opts {
		o(v)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.secrets[strings.ToLower(name)]
	if e == nil {
		e = &secretEntry{name: name}
		s.secrets[strings.ToLower(name)] = e
	}
	e.versions = append(e.versions, v)
	return v.id, nil
}

// newVersionID returns 32 random lower-case hex characters.
func newVersionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// SetEnabled enables or disables a version ("" = the latest). A GET of a
// disabled version, or of the latest when it is disabled, answers 403
// SecretDisabled.
func (s *Server) SetEnabled(name, ver string, enabled bool) error {
	return s.update(name, ver, func(v *version) { v.enabled = enabled })
}

// SetExpiry sets a version's exp ("" = the latest); the zero time clears it.
func (s *Server) SetExpiry(name, ver string, exp time.Time) error {
	return s.update(name, ver, func(v *version) { v.expires = exp })
}

// SetNotBefore sets a version's nbf ("" = the latest); the zero time clears it.
func (s *Server) SetNotBefore(name, ver string, nbf time.Time) error {
	return s.update(name, ver, func(v *version) { v.notBefore = nbf })
}

// update applies fn to a version and bumps its updated time.
func (s *Server) update(name, ver string, fn func(*version)) error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.lookup(name, ver)
	if err != nil {
		return err
	}
	fn(v)
	v.updated = now
	return nil
}

// Delete removes a secret with all its versions. Soft delete is not
// emulated: afterwards the secret is simply not found.
func (s *Server) Delete(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.secrets[strings.ToLower(name)]; !ok {
		return fmt.Errorf("delete secret %q: %w", name, ErrNotFound)
	}
	delete(s.secrets, strings.ToLower(name))
	return nil
}

// Versions returns the version IDs of name in creation order (the last is
// the latest), or nil for an unknown secret.
func (s *Server) Versions(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.secrets[strings.ToLower(name)]
	if e == nil {
		return nil
	}
	ids := make([]string, len(e.versions))
	for i, v := range e.versions {
		ids[i] = v.id
	}
	return ids
}

// Names returns the names of all secrets, sorted case-insensitively, so a
// seed loader can find the ones it must delete.
func (s *Server) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.secrets))
	for _, key := range slices.Sorted(maps.Keys(s.secrets)) {
		names = append(names, s.secrets[key].name)
	}
	return names
}

// lookup finds a version ("" = latest). The caller holds s.mu.
func (s *Server) lookup(name, ver string) (*version, error) {
	e := s.secrets[strings.ToLower(name)]
	if e == nil {
		return nil, fmt.Errorf("secret %q: %w", name, ErrNotFound)
	}
	if ver == "" {
		return e.versions[len(e.versions)-1], nil
	}
	for _, v := range e.versions {
		if strings.EqualFold(v.id, ver) {
			return v, nil
		}
	}
	return nil, fmt.Errorf("secret %q version %q: %w", name, ver, ErrNotFound)
}
