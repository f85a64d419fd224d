package entra

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"
)

// grant is what the emulator remembers about an access token it issued.
type grant struct {
	tenant   string
	clientID string
	resource string
	expires  time.Time
}

// issue creates an access token for clientID in tenant for resource and
// remembers it until it expires. The token is JWT-shaped (some tools print
// tokens' claims) but its signature part is random bytes: clients must treat
// it as opaque, and the only way to check it is ValidToken.
func (s *Server) issue(tenant, clientID, resource string, now time.Time) (token string, expires time.Time) {
	expires = now.Add(s.opts.ExpiresIn)
	oid := uuid.NewSHA1(uuid.NameSpaceURL, []byte("fig-injector-dev/"+strings.ToLower(tenant)+"/"+strings.ToLower(clientID))).String()
	claims := map[string]any{
		"aud":   resource,
		"iss":   "https://sts.windows.net/" + tenant + "/",
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   expires.Unix(),
		"appid": clientID,
		"oid":   oid,
		"sub":   oid,
		"tid":   tenant,
		"idtyp": "app",
		"uti":   uuid.NewString(),
		"ver":   "1.0",
	}
	sig := make([]byte, 32)
	_, _ = rand.Read(sig) // crypto/rand.Read never fails
	token = encodeSegment(map[string]string{"typ": "JWT", "alg": "RS256", "kid": "fig-injector-dev"}) + "." +
		encodeSegment(claims) + "." + base64.RawURLEncoding.EncodeToString(sig)

	s.mu.Lock()
	defer s.mu.Unlock()
	for t, g := range s.tokens { // forget expired tokens so the map stays small
		if !now.Before(g.expires) {
			delete(s.tokens, t)
		}
	}
	s.tokens[token] = grant{tenant: tenant, clientID: clientID, resource: resource, expires: expires}
	return token, expires
}

// ValidToken reports whether token is an access token this emulator issued,
// not yet expired or revoked, for tenant and for resource (compared without
// a trailing slash; an empty resource matches any). It implements the Key
// Vault emulator's TokenValidator.
func (s *Server) ValidToken(token, tenant, resource string) bool {
	now := s.now()
	s.mu.Lock()
	g, ok := s.tokens[token]
	s.mu.Unlock()
	if !ok || !now.Before(g.expires) || !strings.EqualFold(g.tenant, tenant) {
		return false
	}
	return resource == "" || strings.EqualFold(strings.TrimRight(g.resource, "/"), strings.TrimRight(resource, "/"))
}

// TokenClientID returns the application (client) ID a valid token was
// issued to, so that the Key Vault emulator can name the caller in its 403
// messages as the real service does.
func (s *Server) TokenClientID(token string) (string, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.tokens[token]
	if !ok || !now.Before(g.expires) {
		return "", false
	}
	return g.clientID, true
}

// RevokeTokens forgets every issued access token, so the next Key Vault
// request with a cached token gets a 401 (tests of re-authentication).
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}
