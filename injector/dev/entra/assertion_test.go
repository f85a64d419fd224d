package entra_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/entra"
)

func TestMintAssertion(t *testing.T) {
	before := time.Now().Unix()
	token := entra.MintAssertion(issuer, subject, entra.DefaultAudience, 2*time.Hour)
	after := time.Now().Unix()

	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[2] == "" {
		t.Fatalf("assertion %q is not a signed compact JWT", token)
	}
	var header map[string]string
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &header); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"alg": "HS256", "typ": "JWT", "kid": "fig-injector-dev"}, header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	claims := jwtPayload(t, token)
	got := map[string]any{"iss": claims["iss"], "sub": claims["sub"], "aud": claims["aud"]}
	want := map[string]any{"iss": issuer, "sub": subject, "aud": []any{entra.DefaultAudience}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	iat, exp := int64(claims["iat"].(float64)), int64(claims["exp"].(float64))
	if iat < before || iat > after || exp-iat != 7200 {
		t.Errorf("iat=%d exp=%d, want iat in [%d,%d] and exp=iat+7200", iat, exp, before, after)
	}
	if other := entra.MintAssertion(issuer, subject, entra.DefaultAudience, 2*time.Hour); other == token {
		t.Error("two minted assertions are identical (jti must differ)")
	}
}

// TestAssertionShapesAccepted checks the decoder against the forms a real
// issuer may produce: aud as a string, alg none, fractional times.
func TestAssertionShapesAccepted(t *testing.T) {
	exp := time.Now().Add(time.Hour).Unix()
	seg := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	tests := []struct {
		name      string
		assertion string
	}{
		{"aud as string", seg(map[string]string{"alg": "RS256"}) + "." + seg(map[string]any{"iss": issuer, "sub": subject, "aud": entra.DefaultAudience, "exp": exp}) + ".c2ln"},
		{"alg none", seg(map[string]string{"alg": "none"}) + "." + seg(map[string]any{"iss": issuer, "sub": subject, "aud": []string{"x", entra.DefaultAudience}, "exp": exp}) + "."},
		{"fractional exp", seg(map[string]string{"alg": "RS256"}) + "." + seg(map[string]any{"iss": issuer, "sub": subject, "aud": entra.DefaultAudience, "exp": float64(exp) + 0.5}) + ".c2ln"},
	}
	r := newRig(t, entra.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := r.postToken(t, tenantID, goodForm(tt.assertion)); status != 200 {
				t.Fatalf("status %d: %v", status, body)
			}
		})
	}
}
