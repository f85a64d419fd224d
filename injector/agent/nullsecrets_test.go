package agent_test

import (
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

// TestNullSecretsFromFigKeepTheLastGoodValue: Fig's Key Vault option
// answers 200 with every secret setting null while Key Vault fails; the file
// keeps the secrets (with a warning) instead of losing them, takes the
// other changes, and follows the secret again once Fig serves it.
func TestNullSecretsFromFigKeepTheLastGoodValue(t *testing.T) {
	f := newFixture(t)
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Rotterdam"))) // a client in real use
	f.start(f.options())
	if got := f.key("PaymentApiKey"); got != "dev-api-key-0001" {
		t.Fatalf("PaymentApiKey = %q before the outage", got)
	}
	cfg := f.env.Fig.Config()
	cfg.SecretStoreDown = true
	f.env.Fig.SetConfig(cfg)
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Oslo")))
	f.eventually("the change during the outage", func() bool { return f.key("Location") == "Oslo" })
	if got := f.key("PaymentApiKey"); got != "dev-api-key-0001" {
		t.Errorf("PaymentApiKey = %q during Fig's Key Vault outage, want the last good value", got)
	}
	if !strings.Contains(f.logs.String(), "keeping their last good values") || !strings.Contains(f.logs.String(), "PaymentApiKey") {
		t.Errorf("no warning naming the secret setting:\n%s", f.logs.String())
	}

	cfg.SecretStoreDown = false
	f.env.Fig.SetConfig(cfg)
	must(t, f.env.Fig.SetValue("OrderService", "", "PaymentApiKey", figapi.String("plain-after-outage")))
	f.eventually("the secret's new value", func() bool { return f.key("PaymentApiKey") == "plain-after-outage" })
}
