package entra

import (
	"errors"
	"net/http"
	"strings"
)

// jwtBearer is the only client_assertion_type the emulator accepts.
const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// tokenResponse is the success body (contracts/azure.md §1.6).
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	ExtExpiresIn int64  `json:"ext_expires_in"`
	RefreshIn    int64  `json:"refresh_in,omitempty"`
	AccessToken  string `json:"access_token"`
}

// serveToken answers POST /{tenant}/oauth2/v2.0/token for the client
// credentials grant with a federated client assertion (contracts/azure.md
// §1.5). The checks run in the order Entra reports them: tenant, request
// shape, application, then the assertion against the app's federated
// credentials. claims (CAE) and client_info are accepted and ignored.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, ev *Event) {
	now := s.now()
	fail := func(e aadError) { writeError(w, r, ev, now, e) }

	if !s.tenantKnown(ev.Tenant) {
		fail(errUnknownTenant(ev.Tenant))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		fail(errMissingParam("grant_type"))
		return
	}
	form := r.PostForm
	ev.GrantType, ev.ClientID, ev.Scope = form.Get("grant_type"), form.Get("client_id"), form.Get("scope")
	assertionText := form.Get("client_assertion")
	ev.HasAssertion, ev.HasClaims = assertionText != "", form.Get("claims") != ""

	switch {
	case ev.GrantType == "":
		fail(errMissingParam("grant_type"))
		return
	case ev.GrantType != "client_credentials":
		fail(errGrantType(ev.GrantType))
		return
	case ev.ClientID == "":
		fail(errMissingParam("client_id"))
		return
	case ev.Scope == "":
		fail(errMissingParam("scope"))
		return
	case !ev.HasAssertion:
		fail(errNoAssertion())
		return
	case form.Get("client_assertion_type") != jwtBearer:
		fail(errAssertionType(form.Get("client_assertion_type")))
		return
	}
	resource, ok := resourceOf(ev.Scope)
	if !ok {
		fail(errScope(ev.Scope))
		return
	}
	a, err := parseAssertion(assertionText)
	if err != nil {
		fail(errMalformedAssertion())
		return
	}
	if e := s.match(ev.Tenant, ev.ClientID, a, now); e != nil {
		fail(*e)
		return
	}
	if s.keys != nil {
		if err := s.keys.verify(r.Context(), assertionText, a.Issuer, now); err != nil {
			s.log.Warn("federated assertion rejected", "client_id", ev.ClientID, "issuer", a.Issuer, "subject", a.Subject, "reason", err.Error())
			if errors.Is(err, errIssuer) {
				fail(errIssuerUnreachable(a.Issuer))
			} else {
				fail(errBadSignature())
			}
			return
		}
	}
	token, expires := s.issue(ev.Tenant, ev.ClientID, resource, now)
	ev.TokenIssued = true
	resp := tokenResponse{
		TokenType:    "Bearer",
		ExpiresIn:    int64(expires.Sub(now).Seconds()),
		ExtExpiresIn: int64(expires.Sub(now).Seconds()),
		RefreshIn:    int64(s.opts.RefreshIn.Seconds()),
		AccessToken:  token,
	}
	writeJSON(w, http.StatusOK, resp)
}

// resourceOf extracts the resource from a client-credentials scope list:
// exactly one "<resource>/.default" besides the OIDC scopes MSAL always
// appends (openid offline_access profile).
func resourceOf(scope string) (string, bool) {
	var resources []string
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid", "offline_access", "profile", "email":
			continue
		}
		r, ok := strings.CutSuffix(sc, "/.default")
		if !ok || r == "" {
			return "", false
		}
		resources = append(resources, r)
	}
	if len(resources) != 1 {
		return "", false
	}
	return resources[0], true
}
