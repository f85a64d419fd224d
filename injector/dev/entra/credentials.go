package entra

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// FederatedCredential is a federated identity credential as registered on
// an Entra application (or user-assigned managed identity): tokens issued by
// Issuer for Subject with Audience may be exchanged for access tokens of
// ClientID in TenantID.
type FederatedCredential struct {
	TenantID string // directory (tenant) ID, compared case-insensitively
	ClientID string // application (client) ID, compared case-insensitively
	// Issuer is the OIDC issuer of the assertion, e.g. the cluster's service
	// account issuer. Compared case-sensitively, as Entra does.
	Issuer string
	// Subject is e.g. "system:serviceaccount:<namespace>:<name>"; case-sensitive.
	Subject string
	// Audience defaults to DefaultAudience ("api://AzureADTokenExchange").
	Audience string
}

// validate checks the fields Entra requires and fills the default audience.
func (fc *FederatedCredential) validate() error {
	if fc.Audience == "" {
		fc.Audience = DefaultAudience
	}
	var missing []string
	for name, v := range map[string]string{"TenantID": fc.TenantID, "ClientID": fc.ClientID, "Issuer": fc.Issuer, "Subject": fc.Subject} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("federated credential: missing %s", strings.Join(missing, ", "))
	}
	if !tenantPattern.MatchString(fc.TenantID) {
		return fmt.Errorf("federated credential: tenant id %q is not a valid tenant", fc.TenantID)
	}
	return nil
}

// AddFederatedCredential registers fc. A tenant becomes known to the
// emulator when its first credential is registered, and an application when
// its first credential is; until then requests for them fail with
// AADSTS90002 and AADSTS700016 as Entra's would.
func (s *Server) AddFederatedCredential(fc FederatedCredential) error {
	if err := fc.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creds = append(s.creds, fc)
	return nil
}

// SetFederatedCredentials replaces every registered credential at once, so
// that a watched seed file can be applied without a moment in which some
// identities are missing. Access tokens already issued stay valid.
func (s *Server) SetFederatedCredentials(fcs []FederatedCredential) error {
	next := make([]FederatedCredential, 0, len(fcs))
	var errs []error
	for _, fc := range fcs {
		if err := fc.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		next = append(next, fc)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creds = next
	return nil
}

// tenantKnown reports whether any credential names tenant.
func (s *Server) tenantKnown(tenant string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, fc := range s.creds {
		if strings.EqualFold(fc.TenantID, tenant) {
			return true
		}
	}
	return false
}

// match finds the credential of clientID in tenant that accepts a, checking
// in Entra's order: application, issuer, subject, audience, then lifetime.
func (s *Server) match(tenant, clientID string, a assertion, now time.Time) *aadError {
	s.mu.Lock()
	var ofClient []FederatedCredential
	for _, fc := range s.creds {
		if strings.EqualFold(fc.TenantID, tenant) && strings.EqualFold(fc.ClientID, clientID) {
			ofClient = append(ofClient, fc)
		}
	}
	s.mu.Unlock()

	if len(ofClient) == 0 {
		e := errUnknownClient(clientID, tenant)
		return &e
	}
	byIssuer := slices.DeleteFunc(slices.Clone(ofClient), func(fc FederatedCredential) bool { return fc.Issuer != a.Issuer })
	if len(byIssuer) == 0 {
		e := errNoIssuer(a.Issuer)
		return &e
	}
	bySubject := slices.DeleteFunc(byIssuer, func(fc FederatedCredential) bool { return fc.Subject != a.Subject })
	if len(bySubject) == 0 {
		e := errNoSubject(a.Subject)
		return &e
	}
	byAudience := slices.DeleteFunc(bySubject, func(fc FederatedCredential) bool { return !slices.Contains(a.Audience, fc.Audience) })
	if len(byAudience) == 0 {
		e := errNoAudience(strings.Join(a.Audience, ","))
		return &e
	}
	// exp must be in the future; nbf may be up to 5 minutes ahead (clock skew),
	// as Entra tolerates.
	if a.Expires.IsZero() || !now.Before(a.Expires) || a.NotBefore.After(now.Add(5*time.Minute)) {
		e := errAssertionTime(now, a.NotBefore, a.Expires)
		return &e
	}
	return nil
}
