package keyvault

import (
	"net/http"
	"strings"
)

// TokenValidator decides whether a bearer token may call the vault. The
// Entra emulator's Server implements it.
type TokenValidator interface {
	// ValidToken reports whether token is a current access token issued in
	// tenant for resource (e.g. "https://vault.azure.net").
	ValidToken(token, tenant, resource string) bool
}

// ClientIdentifier is optionally implemented by a TokenValidator to name the
// application a token belongs to. The vault then names the caller in 403
// messages (appid=…), as the real service does, which tells a developer
// which identity lacks the role.
type ClientIdentifier interface {
	TokenClientID(token string) (clientID string, ok bool)
}

// challenge is the WWW-Authenticate value of every 401 (contracts/azure.md
// §4.1): the authorization URL must carry the tenant as its path, or the SDK
// re-challenges on every request (no tenant) or panics (no path).
func (s *Server) challenge() string {
	return `Bearer authorization="` + s.opts.Authority + "/" + s.opts.TenantID + `", resource="` + s.opts.Resource + `"`
}

// authenticate returns the request's bearer token, or answers 401 and
// returns false: AKV10000 without a token, AKV10022 with one the validator
// rejects.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, ev *Event) (string, bool) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	ev.HasToken = token != ""
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		s.unauthorized(w, ev, errMissingToken())
		return "", false
	}
	if s.opts.Validator != nil && !s.opts.Validator.ValidToken(token, s.opts.TenantID, s.opts.Resource) {
		s.unauthorized(w, ev, errInvalidToken(s.opts.Resource))
		return "", false
	}
	ev.Authorized = true
	return token, true
}

func (s *Server) unauthorized(w http.ResponseWriter, ev *Event, e kvError) {
	s.mu.Lock()
	s.challenges++
	s.mu.Unlock()
	w.Header().Set("WWW-Authenticate", s.challenge())
	s.writeError(w, ev, e)
}

// caller describes the token's identity for 403 messages.
func (s *Server) caller(token string) string {
	appid := "unknown"
	if ci, ok := s.opts.Validator.(ClientIdentifier); ok {
		if id, ok := ci.TokenClientID(token); ok {
			appid = id
		}
	}
	return "appid=" + appid + ";iss=https://sts.windows.net/" + s.opts.TenantID + "/"
}

// DenyList makes (or stops making) the vault-wide secret list answer 403, as
// for an identity whose role assignments are scoped to single secrets: the
// client must then fall back to GETs of the secrets it knows.
func (s *Server) DenyList(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denyList = deny
}

// DenySecret makes (or stops making) GET and version listing of one secret
// answer 403, as when the caller has no role on it.
func (s *Server) DenySecret(name string, deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if deny {
		s.denied[strings.ToLower(name)] = true
	} else {
		delete(s.denied, strings.ToLower(name))
	}
}

// denial returns the RBAC 403 for req, if the caller may not do it.
func (s *Server) denial(req request, token string) *kvError {
	s.mu.Lock()
	denyList, deniedSecret := s.denyList, s.denied[strings.ToLower(req.name)]
	s.mu.Unlock()
	var action, scope string
	switch {
	case req.route == RouteList && denyList:
		action, scope = "Microsoft.KeyVault/vaults/secrets/readMetadata/action", ""
	case req.route == RouteGet && deniedSecret:
		action, scope = "Microsoft.KeyVault/vaults/secrets/getSecret/action", "/secrets/"+req.name
	case req.route == RouteVersions && deniedSecret:
		action, scope = "Microsoft.KeyVault/vaults/secrets/readMetadata/action", "/secrets/"+req.name
	default:
		return nil
	}
	e := errForbiddenByRBAC(s.caller(token), action, s.opts.Name, scope, s.opts.Location)
	return &e
}
