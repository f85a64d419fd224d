package entra

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
)

// DefaultAudience is the audience Entra expects in federated assertions and
// the one AKS projects into workload-identity tokens.
const DefaultAudience = "api://AzureADTokenExchange"

// devAssertionKey signs minted assertions. It is public on purpose: the
// emulator never verifies signatures (see the package comment), the key only
// makes minted tokens look like every other HS256 JWT to tools that print them.
const devAssertionKey = "fig-injector-dev-assertion-key (not a secret)"

// MintAssertion returns a JWT such as the kubelet projects into a pod for
// workload identity: iss, sub, aud (as a one-element array, as Kubernetes
// writes it), iat, nbf, exp = now+ttl and a random jti, signed HS256 with a
// published dev key. `fig-injector dev` writes it to the federated token file
// for local runs; tests write it for WorkloadIdentityCredential.
func MintAssertion(issuer, subject, audience string, ttl time.Duration) string {
	now := time.Now()
	header := map[string]string{"alg": "HS256", "typ": "JWT", "kid": "fig-injector-dev"}
	claims := map[string]any{
		"iss": issuer,
		"sub": subject,
		"aud": []string{audience},
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(ttl).Unix(),
		"jti": uuid.NewString(),
	}
	signingInput := encodeSegment(header) + "." + encodeSegment(claims)
	mac := hmac.New(sha256.New, []byte(devAssertionKey))
	mac.Write([]byte(signingInput))
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// encodeSegment is base64url(JSON) without padding, as JWS compact form wants.
func encodeSegment(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // maps of strings and numbers always marshal
		panic("entra: encode jwt segment: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// assertion holds the claims the token endpoint checks.
type assertion struct {
	Issuer    string
	Subject   string
	Audience  []string
	Expires   time.Time // zero if absent
	NotBefore time.Time // zero if absent
}

// errMalformed is returned for anything that is not a JWS compact token with
// a JSON payload.
var errMalformed = errors.New("malformed jwt")

// parseAssertion decodes the payload of a compact JWT. The signature is not
// checked (see the package comment); alg "none" tokens with an empty third
// segment are accepted too.
func parseAssertion(token string) (assertion, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return assertion{}, errMalformed
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return assertion{}, errMalformed
	}
	var c struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp *json.Number    `json:"exp"`
		Nbf *json.Number    `json:"nbf"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return assertion{}, errMalformed
	}
	a := assertion{Issuer: c.Iss, Subject: c.Sub}
	if a.Audience, err = parseAudience(c.Aud); err != nil {
		return assertion{}, err
	}
	if a.Expires, err = numericDate(c.Exp); err != nil {
		return assertion{}, err
	}
	if a.NotBefore, err = numericDate(c.Nbf); err != nil {
		return assertion{}, err
	}
	return a, nil
}

// parseAudience accepts "aud" as a string or an array of strings (RFC 7519 §4.1.3).
func parseAudience(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, errMalformed
	}
	return many, nil
}

// numericDate converts a JWT NumericDate (seconds, possibly fractional).
func numericDate(n *json.Number) (time.Time, error) {
	if n == nil {
		return time.Time{}, nil
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, errMalformed
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
}
