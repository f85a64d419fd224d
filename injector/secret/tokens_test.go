package secret_test

import (
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/secret"
)

const jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJodHRwczovL2t1YmVybmV0ZXMiLCJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLWJ5dGVz"

func TestBlankTokens(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"MSAL quoting a WAF page that echoes the form",
			"json text received:\n<html>blocked: client_id=abc&client_assertion=" + jwt + "&client_assertion_type=urn%3Aietf</html>",
			"json text received:\n<html>blocked: client_id=abc&client_assertion=[REDACTED]&client_assertion_type=urn%3Aietf</html>"},
		{"a cut JWT", "token " + jwt[:40], "token [REDACTED]"},
		{"Key Vault echoing Authorization", "request had Authorization: Bearer opaque-token-value.123", "request had Authorization: [REDACTED] [REDACTED]"},
		{"bearer alone", "bearer abcdef1234567890", "bearer [REDACTED]"},
		{"JSON member", `{"access_token":"abcdefgh","token_type":"Bearer"}`, `{"access_token":"[REDACTED]","token_type":"Bearer"}`},
		{"escaped JSON member", `{\"refresh_token\":\"abcdefgh\"}`, `{\"refresh_token\":\"[REDACTED]\"}`},
		{"Fig's secret header echoed", "headers: clientSecret: 0f8e6a52-3c1b-4d7e", "headers: clientSecret: [REDACTED]"},
		{"URL-encoded form", "client_secret%3Dabcdefgh", "client_secret%3D[REDACTED]"},
		{"ordinary text stays", "AKV10032: Invalid issuer; the token is unknown (HTTP 401); fix: check the Bearer challenge", "AKV10032: Invalid issuer; the token is unknown (HTTP 401); fix: check the Bearer challenge"},
		{"key names stay", "keys Db:Password, PaymentApiKey", "keys Db:Password, PaymentApiKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := secret.BlankTokens(tt.in); got != tt.want {
				t.Errorf("BlankTokens(%q)\n = %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzBlankTokens: blanking is idempotent, and no JWT survives it.
func FuzzBlankTokens(f *testing.F) {
	f.Add("client_assertion=" + jwt)
	f.Add(`{"error":"invalid_client","error_description":"Authorization: Bearer ` + jwt + `"}`)
	f.Add("eyJeyJeyJ.eyJ")
	f.Add("Bearer Bearer Bearer abcdefgh")
	f.Fuzz(func(t *testing.T, s string) {
		once := secret.BlankTokens(s)
		if twice := secret.BlankTokens(once); twice != once {
			t.Errorf("not idempotent: %q -> %q -> %q", s, once, twice)
		}
		if strings.Contains(s, jwt) && strings.Contains(once, jwt) {
			t.Errorf("a JWT survives: %q", once)
		}
	})
}
