package hook

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Verifier checks the secret Fig sends with each web hook against the
// hashed secret Fig's web UI shows once when the web hook client is created.
//
// Fig sends "Authorization: Secret <plain secret>"
// (src/api/Fig.Api/Workers/WebHookProcessorWorker.cs CreateRequest:
// new AuthenticationHeaderValue("Secret", client.Secret)) and tells
// receivers to check it with BCrypt.Net's EnhancedVerify against that hash
// (doc/fig-documentation/docs/features/8-web-hooks.md "Receiving web
// hooks"; src/web/Fig.Web/Pages/WebHooks.razor.cs GetHashedSecretMessage
// hashes with BCrypt.EnhancedHashPassword). EnhancedVerify pre-hashes the
// text with SHA-384 and bcrypts the Base64 of that digest (BcryptNet/
// bcrypt.net BCrypt.Net/BCrypt.cs HashPassword and EnhancedHash; the NUL
// terminator it appends for $2a$ is what golang.org/x/crypto/bcrypt
// appends too).
//
// bcrypt costs ~0.1 s per check at Fig's work factor 11, so a flood of
// hooks would cost a core each: the first secret that verifies is
// remembered as a SHA-256 digest and later hooks are compared against it in
// constant time; a secret not remembered is checked with bcrypt, one check
// at a time, so wrong secrets cannot take more than one core.
type Verifier struct {
	hash []byte

	bcryptMu sync.Mutex // one bcrypt check at a time
	mu       sync.Mutex
	known    *[sha256.Size]byte // digest of the last secret that verified
}

// ErrNoSecret and ErrWrongSecret are the two refusals; neither carries the
// secret.
var (
	ErrNoSecret    = errors.New(`no "Authorization: Secret <secret>" header`)
	ErrWrongSecret = errors.New("the web hook secret does not match the configured hash")
)

// NewVerifier returns a Verifier for a hash as Fig's web UI shows it
// ($2a$11$…). The error names what is wrong with it.
func NewVerifier(hashed string) (*Verifier, error) {
	hashed = strings.TrimSpace(hashed)
	if _, err := bcrypt.Cost([]byte(hashed)); err != nil {
		return nil, fmt.Errorf("web hook secret hash is not a bcrypt hash (%v); fix: paste the hashed secret Fig's web UI shows when the web hook client is created or its secret regenerated, e.g. $2a$11$…", err)
	}
	return &Verifier{hash: []byte(hashed)}, nil
}

// EnhancedHash hashes secret as BCrypt.Net's EnhancedHashPassword does, at
// the given cost. The emulator and tests use it to produce the hash Fig's
// UI would show.
func EnhancedHash(secret string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword(preHash(secret), cost)
	return string(h), err
}

// preHash is BCrypt.Net's EnhancedHash for HashType.SHA384: the Base64 of
// the SHA-384 of the UTF-8 text.
func preHash(secret string) []byte {
	sum := sha512.Sum384([]byte(secret))
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

// Check verifies the Authorization header value of a hook.
func (v *Verifier) Check(authorization string) error {
	scheme, secret, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.EqualFold(scheme, "Secret") || secret == "" {
		return ErrNoSecret
	}
	digest := sha256.Sum256([]byte(secret))
	v.mu.Lock()
	known := v.known
	v.mu.Unlock()
	if known != nil && subtle.ConstantTimeCompare(known[:], digest[:]) == 1 {
		return nil
	}
	v.bcryptMu.Lock()
	err := bcrypt.CompareHashAndPassword(v.hash, preHash(secret))
	v.bcryptMu.Unlock()
	if err != nil {
		return ErrWrongSecret
	}
	v.mu.Lock()
	v.known = &digest
	v.mu.Unlock()
	return nil
}
