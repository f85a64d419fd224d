package entra

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// publicCloudAliases are the host names the real instance discovery lists
// as one group for the public cloud (contracts/azure.md §1.3).
func publicCloudAliases() []string {
	return []string{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"}
}

// wellKnownTenants are served by the real OpenID configuration endpoint
// although no credential is registered in them.
func wellKnownTenant(t string) bool {
	switch strings.ToLower(t) {
	case "common", "organizations", "consumers":
		return true
	}
	return false
}

// serveOpenID answers GET /{tenant}/v2.0/.well-known/openid-configuration.
// Every endpoint and the issuer are on the host the client called (or
// Options.BaseURL), because MSAL rejects an issuer whose host differs from
// the authority's.
func (s *Server) serveOpenID(w http.ResponseWriter, r *http.Request, ev *Event) {
	tenant := ev.Tenant
	if !wellKnownTenant(tenant) && !s.tenantKnown(tenant) {
		e := errUnknownTenant(tenant)
		e.code = "invalid_tenant" // the discovery document says invalid_tenant where the token endpoint says invalid_request
		writeError(w, r, ev, s.now(), e)
		return
	}
	base := s.baseURL(r) + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/v2.0",
		"request_uri_parameter_supported":       false,
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"tenant_region_scope":                   nil,
		"cloud_instance_name":                   "microsoftonline.com",
		"cloud_graph_host_name":                 "graph.windows.net",
		"msgraph_host":                          "graph.microsoft.com",
		"rbac_url":                              "https://pas.windows.net",
	})
}

// instanceMetadata is one alias group of the instance discovery answer.
type instanceMetadata struct {
	PreferredNetwork string   `json:"preferred_network"`
	PreferredCache   string   `json:"preferred_cache"`
	Aliases          []string `json:"aliases"`
}

// serveDiscovery answers GET /{tenant}/discovery/instance, which MSAL asks
// of login.microsoftonline.com unless instance discovery is disabled
// (contracts/azure.md §1.2–1.3). tenant_discovery_endpoint points at the
// OpenID configuration on the host named by the authorization_endpoint query
// parameter, that is the client's own authority: when a test routes
// login.microsoftonline.com to this emulator, that is this emulator again.
func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request, ev *Event) {
	raw := r.URL.Query().Get("authorization_endpoint")
	if raw == "" {
		writeError(w, r, ev, s.now(), errMissingParam("authorization_endpoint"))
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		writeError(w, r, ev, s.now(), errInvalidInstance())
		return
	}
	segments := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	if segments[0] == "" {
		writeError(w, r, ev, s.now(), errInvalidInstance())
		return
	}
	host := strings.ToLower(u.Host)
	metadata := []instanceMetadata{{
		PreferredNetwork: "login.microsoftonline.com",
		PreferredCache:   "login.windows.net",
		Aliases:          publicCloudAliases(),
	}}
	if !slices.Contains(publicCloudAliases(), host) {
		metadata = append(metadata, instanceMetadata{PreferredNetwork: host, PreferredCache: host, Aliases: []string{host}})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": "https://" + u.Host + "/" + segments[0] + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata":                  metadata,
	})
}
