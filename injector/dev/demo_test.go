package dev_test

import (
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/dev"
)

// TestDemoChange: on the example seed the demo's change reaches Fig and Key
// Vault as the agent reads them; on a seed without the example's client it
// fails and says why, changing nothing.
func TestDemoChange(t *testing.T) {
	f := start(t)
	report, err := f.env.DemoChange()
	if err != nil || !strings.Contains(report, "Location to Utrecht") {
		t.Fatalf("DemoChange() = %q, %v", report, err)
	}
	if got := f.figSetting("Location"); got != `"Utrecht"` {
		t.Errorf("Fig's Location = %s, want \"Utrecht\"", got)
	}
	if got := f.getSecret(f.secrets(), "api-key"); got != "dev-api-key-0002" {
		t.Errorf("api-key = %q, want the rotated dev-api-key-0002", got)
	}

	env, err := dev.Start(t.Context(), dev.Options{Dir: t.TempDir(), Seed: []byte(figOnly)})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if report, err := env.DemoChange(); err == nil || !strings.Contains(err.Error(), "OrderService") {
		t.Errorf("DemoChange on a seed without OrderService = %q, %v; want an error naming the client", report, err)
	}
}
