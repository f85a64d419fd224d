package secret

import "regexp"

// Token shapes that upstream text (an Entra or Key Vault error, a proxy's
// error page echoing the request) can carry. Each is blanked by BlankTokens.
var (
	// jwtPattern matches a JWT or JWS, complete or cut: a base64url JSON
	// header ("eyJ") followed by at least one more dotted part. Federated
	// service-account tokens, client assertions and Entra access tokens all
	// have this shape.
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_.-]*`)
	// schemePattern matches an HTTP credential after its scheme
	// ("Authorization: Bearer …"); the scheme stays so the message still says
	// what kind of credential was there. Sixteen characters at least, so
	// that prose ("the Bearer challenge") stays.
	schemePattern = regexp.MustCompile(`(?i)\b(bearer|basic|pop|sharedkey)(\s+|%20|\+)[A-Za-z0-9._~+/=:%-]{16,}`)
	// paramPattern matches the value of a form field, query parameter, JSON
	// member or header that carries a credential, in the spellings an echo
	// produces: client_assertion=…, "access_token":"…", clientSecret: …,
	// and their JSON-escaped forms (\"access_token\":\"…\").
	paramPattern = regexp.MustCompile(`(?i)\b(client_assertion|client_secret|assertion|access_token|refresh_token|id_token|clientsecret|authorization|x-ms-authorization-auxiliary)((?:\\?")?\s*(?:=|:|%3D)\s*(?:\\?")?)([^\s&"\\,;}]+)`)
)

// BlankTokens returns s with everything token-shaped replaced by Redacted:
// JWTs, the credential after an Authorization scheme, and the values of
// credential-carrying parameters. Upstream error text passes through it
// before it is shown anywhere, because a server (or a proxy, or a WAF page
// quoting the request) can echo what the agent sent.
func BlankTokens(s string) string {
	s = jwtPattern.ReplaceAllString(s, Redacted)
	s = schemePattern.ReplaceAllString(s, "${1}${2}"+Redacted)
	return paramPattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := paramPattern.FindStringSubmatch(m)
		if sub[3] == Redacted {
			return m
		}
		return sub[1] + sub[2] + Redacted
	})
}
