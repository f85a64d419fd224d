package testutil

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/fig-injector/fig-injector/injector/relay/hook"
)

// HookVerifier returns a relay web hook verifier for secret, hashed as
// Fig's web UI hashes it (at bcrypt's lowest cost, for speed).
func HookVerifier(tb testing.TB, secret string) *hook.Verifier {
	tb.Helper()
	hashed, err := hook.EnhancedHash(secret, bcrypt.MinCost)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := hook.NewVerifier(hashed)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// PostSettingChanged posts Fig's SettingValueChanged hook for client's
// settings to a relay at base (its URL including /fig/) as Fig does, and
// returns the status.
func PostSettingChanged(tb testing.TB, hc *http.Client, base, authorization, client string, settings ...string) int {
	tb.Helper()
	names := `"` + strings.Join(settings, `","`) + `"`
	req, err := http.NewRequest(http.MethodPost, base+"SettingValueChanged", strings.NewReader(
		`{"ClientName":"`+client+`","Instance":null,"UpdatedSettings":[`+names+`],"Username":"admin","Link":"https://localhost:7148/","ChangeMessage":"","IsTest":false}`))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", authorization)
	resp, err := hc.Do(req)
	if err != nil {
		tb.Error(err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
