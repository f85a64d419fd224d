package entra

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// issuerKeys finds the key that signed a federated assertion the way Entra ID
// does for a federated identity credential: the issuer's OpenID Connect
// discovery document (<issuer>/.well-known/openid-configuration, whose
// "issuer" must equal the assertion's), then its jwks_uri, then the key whose
// "kid" the assertion's header names. Key sets are cached per issuer for
// keyCacheTTL and fetched again at once for an unknown kid (a rotated key).
type issuerKeys struct {
	client *http.Client

	mu    sync.Mutex
	cache map[string]keySet // by issuer
}

type keySet struct {
	keys    map[string]crypto.PublicKey // by kid
	fetched time.Time
}

// keyCacheTTL bounds how long a fetched key set is trusted without asking the
// issuer again.
const keyCacheTTL = 5 * time.Minute

// maxDocBytes bounds a discovery document or key set.
const maxDocBytes = 1 << 20

// errSignature means the assertion's signature does not verify; errIssuer
// that the issuer's discovery document or keys could not be fetched.
var (
	errSignature = errors.New("signature verification failed")
	errIssuer    = errors.New("issuer's OIDC discovery or JWKS unavailable")
)

// verify checks the signature of the compact JWT token, issued by issuer,
// against the issuer's published keys. The error wraps errSignature or
// errIssuer and says why; it never quotes the token.
func (k *issuerKeys) verify(ctx context.Context, token, issuer string, now time.Time) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%w: not a JWS compact token", errSignature)
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(raw, &header) != nil {
		return fmt.Errorf("%w: unreadable header", errSignature)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("%w: signature is not base64url", errSignature)
	}
	key, err := k.key(ctx, issuer, header.Kid, now)
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch pub := key.(type) {
	case *rsa.PublicKey:
		if header.Alg != "RS256" || rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) != nil {
			return fmt.Errorf("%w: %s signature does not verify with RSA key %q", errSignature, header.Alg, header.Kid)
		}
	case *ecdsa.PublicKey:
		if header.Alg != "ES256" || len(sig) != 64 ||
			!ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			return fmt.Errorf("%w: %s signature does not verify with EC key %q", errSignature, header.Alg, header.Kid)
		}
	default:
		return fmt.Errorf("%w: key %q of an unsupported type", errSignature, header.Kid)
	}
	return nil
}

// key returns the issuer's key kid, from the cache or freshly fetched.
func (k *issuerKeys) key(ctx context.Context, issuer, kid string, now time.Time) (crypto.PublicKey, error) {
	k.mu.Lock()
	set, ok := k.cache[issuer]
	k.mu.Unlock()
	if ok && now.Sub(set.fetched) < keyCacheTTL {
		if key, found := set.keys[kid]; found {
			return key, nil
		}
	}
	keys, err := k.fetch(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errIssuer, err)
	}
	k.mu.Lock()
	if k.cache == nil {
		k.cache = map[string]keySet{}
	}
	k.cache[issuer] = keySet{keys: keys, fetched: now}
	k.mu.Unlock()
	key, found := keys[kid]
	if !found {
		return nil, fmt.Errorf("%w: the issuer publishes no key %q", errSignature, kid)
	}
	return key, nil
}

// fetch reads the issuer's discovery document and key set.
func (k *issuerKeys) fetch(ctx context.Context, issuer string) (map[string]crypto.PublicKey, error) {
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := k.getJSON(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, err
	}
	if disc.Issuer != issuer {
		return nil, fmt.Errorf("discovery document names issuer %q, not %q", disc.Issuer, issuer)
	}
	if !strings.HasPrefix(disc.JWKSURI, "https://") {
		return nil, fmt.Errorf("jwks_uri %q is not https", disc.JWKSURI)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := k.getJSON(ctx, disc.JWKSURI, &set); err != nil {
		return nil, err
	}
	keys := map[string]crypto.PublicKey{}
	for _, j := range set.Keys {
		if pub, err := j.publicKey(); err == nil {
			keys[j.Kid] = pub
		}
	}
	return keys, nil
}

func (k *issuerKeys) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDocBytes)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// jwk is one JSON Web Key (RFC 7517) of the kinds Kubernetes publishes for its
// service-account signing keys: RSA, or EC on P-256.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func (j jwk) publicKey() (crypto.PublicKey, error) {
	b := func(s string) (*big.Int, error) {
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(raw) == 0 {
			return nil, errors.New("bad key parameter")
		}
		return new(big.Int).SetBytes(raw), nil
	}
	switch j.Kty {
	case "RSA":
		n, err := b(j.N)
		if err != nil {
			return nil, err
		}
		e, err := b(j.E)
		if err != nil || !e.IsInt64() {
			return nil, errors.New("bad RSA exponent")
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		if j.Crv != "P-256" {
			return nil, fmt.Errorf("curve %q unsupported", j.Crv)
		}
		x, errX := base64.RawURLEncoding.DecodeString(j.X)
		y, errY := base64.RawURLEncoding.DecodeString(j.Y)
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad EC point")
		}
		return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	}
	return nil, fmt.Errorf("key type %q unsupported", j.Kty)
}
