package entra_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/entra"
)

// oidcIssuer is an OIDC issuer as a Kubernetes API server publishes one: a
// discovery document naming itself and its jwks_uri, and the key set.
type oidcIssuer struct {
	url       string
	rsaKey    *rsa.PrivateKey
	ecKey     *ecdsa.PrivateKey
	jwksCalls atomic.Int32
	down      atomic.Bool
}

func newOIDCIssuer(t *testing.T) (*oidcIssuer, *http.Client) {
	t.Helper()
	iss := &oidcIssuer{}
	var err error
	if iss.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if iss.ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	ecPoint := func(n *big.Int) string { return b64(n.FillBytes(make([]byte, 32))) }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		if iss.down.Load() {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss.url, "jwks_uri": iss.url + "/openid/v1/jwks"})
	})
	mux.HandleFunc("GET /openid/v1/jwks", func(w http.ResponseWriter, _ *http.Request) {
		iss.jwksCalls.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{
			{"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig",
				"n": b64(iss.rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(iss.rsaKey.E)).Bytes())},
			{"kty": "EC", "kid": "ec-1", "alg": "ES256", "use": "sig", "crv": "P-256",
				"x": ecPoint(iss.ecKey.X), "y": ecPoint(iss.ecKey.Y)},
		}})
	})
	hs := httptest.NewTLSServer(mux)
	t.Cleanup(hs.Close)
	iss.url = hs.URL
	return iss, hs.Client()
}

// token signs claims like a kubelet-projected service-account token with
// alg and kid; key is the issuer's (or another) private key.
func (iss *oidcIssuer) token(t *testing.T, alg, kid string, key crypto.Signer, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(map[string]string{"alg": alg, "kid": kid}) + "." + enc(claims)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		s, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = s
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// newVerifyingRig is an issuer and an emulator verifying signatures against it, with the standard
// identity federated to that issuer.
func newVerifyingRig(t *testing.T) (*oidcIssuer, *rig) {
	t.Helper()
	iss, issuerClient := newOIDCIssuer(t)
	r := newRig(t, entra.Options{IssuerClient: issuerClient})
	if err := r.srv.AddFederatedCredential(entra.FederatedCredential{
		TenantID: tenantID, ClientID: clientID, Issuer: iss.url, Subject: subject,
	}); err != nil {
		t.Fatal(err)
	}
	return iss, r
}

func (iss *oidcIssuer) claims() map[string]any {
	now := time.Now()
	return map[string]any{"iss": iss.url, "sub": subject, "aud": []string{entra.DefaultAudience},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

// With Options.IssuerClient the token endpoint verifies the assertion's
// signature against the issuer's OIDC discovery document and JWKS, after the
// claims match, and answers as Entra does when it does not verify.
func TestSignatureVerification(t *testing.T) {
	iss, r := newVerifyingRig(t)
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := iss.token(t, "RS256", "rsa-1", iss.rsaKey, iss.claims())
	parts := strings.Split(good, ".")
	tampered := iss.claims()
	tampered["sub"] = "system:serviceaccount:shop:someone-else"
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(mustJSON(t, tampered)) + "." + parts[2]

	for _, tt := range []struct {
		name      string
		assertion string
		code      float64 // AADSTS number; 0 = accepted
	}{
		{"RS256 by the issuer's key", good, 0},
		{"ES256 by the issuer's key", iss.token(t, "ES256", "ec-1", iss.ecKey, iss.claims()), 0},
		{"RS256 by another key", iss.token(t, "RS256", "rsa-1", otherRSA, iss.claims()), 700027},
		{"unknown kid", iss.token(t, "RS256", "rsa-2", iss.rsaKey, iss.claims()), 700027},
		{"alg swapped to ES256 on an RSA key", iss.token(t, "ES256", "rsa-1", iss.ecKey, iss.claims()), 700027},
		{"claims changed after signing", forged, 700213}, // subject no longer matches: claims are checked first
		{"dev's HS256 assertion", entra.MintAssertion(iss.url, subject, entra.DefaultAudience, time.Hour), 700027},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := r.postToken(t, tenantID, goodForm(tt.assertion))
			if tt.code == 0 {
				if status != http.StatusOK || body["access_token"] == nil {
					t.Fatalf("status %d, body %v; want a token", status, body)
				}
				return
			}
			codes, _ := body["error_codes"].([]any)
			if status != http.StatusBadRequest || len(codes) == 0 || codes[0] != tt.code {
				t.Fatalf("status %d, error_codes %v; want 400 with AADSTS%.0f", status, body["error_codes"], tt.code)
			}
		})
	}

	// A signature over the right claims with a subject the credential does
	// match, but signed for another subject's payload, fails on the signature.
	matching := iss.claims()
	matching["jti"] = "changed"
	resigned := parts[0] + "." + base64.RawURLEncoding.EncodeToString(mustJSON(t, matching)) + "." + parts[2]
	if status, body := r.postToken(t, tenantID, goodForm(resigned)); status != 400 || !strings.Contains(body["error_description"].(string), "AADSTS700027") {
		t.Errorf("payload changed after signing: status %d, %v; want AADSTS700027", status, body["error_description"])
	}
	if strings.Contains(r.logs.String(), parts[2]) {
		t.Error("the emulator logged an assertion")
	}
}

// Keys are cached per issuer; an issuer that cannot be reached makes the
// request fail with AADSTS50166, as Entra reports an unreachable OIDC endpoint.
func TestSignatureIssuerKeysCachedAndUnreachable(t *testing.T) {
	iss, r := newVerifyingRig(t)
	for range 3 {
		if status, body := r.postToken(t, tenantID, goodForm(iss.token(t, "RS256", "rsa-1", iss.rsaKey, iss.claims()))); status != 200 {
			t.Fatalf("status %d: %v", status, body)
		}
	}
	if n := iss.jwksCalls.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times for three tokens, want 1 (cached)", n)
	}
	iss.down.Store(true)
	// a kid not in the cache makes the emulator ask the issuer again
	status, body := r.postToken(t, tenantID, goodForm(iss.token(t, "RS256", "rotated", iss.rsaKey, iss.claims())))
	if status != 400 || !strings.Contains(body["error_description"].(string), "AADSTS50166") {
		t.Errorf("issuer down: status %d, %v; want AADSTS50166", status, body["error_description"])
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
