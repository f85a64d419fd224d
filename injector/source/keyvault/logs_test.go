package keyvault_test

import (
	"strings"
	"testing"

	kvemu "github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/injector/source/keyvault"
)

// TestNoValueInLogsOrErrors runs a vault through fetches, changes, a
// forbidden list and failures with debug logging on, and checks that no
// secret value reaches the log or an error message.
func TestNoValueInLogsOrErrors(t *testing.T) {
	e := newEnv(t)
	e.seed("app--v%d", 30)
	v := e.vault(keyvault.VaultOptions{})
	ctx := testContext(t)
	req := keyvault.Request{Prefix: "app--", Secrets: []keyvault.Mapping{{Name: "app--v1", Key: "K"}, {Name: "gone", Key: "G", Optional: true}}}
	snap, err := v.Fetch(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	e.set("app--v2", "value-rotated")
	if snap, _, err = v.Poll(ctx, snap); err != nil {
		t.Fatal(err)
	}
	e.kv.Inject(kvemu.RouteList, kvemu.Fault{Status: 500, Body: `{"error":{"code":"Boom","message":"internal error"}}`, Times: 3})
	if _, _, err := v.Poll(ctx, snap); err == nil {
		t.Error("Poll succeeded through a 500")
	} else {
		msgs = append(msgs, err.Error())
	}
	e.kv.DenyList(true)
	if _, err := v.Fetch(ctx, keyvault.Request{Secrets: []keyvault.Mapping{{Name: "app--v3", Key: "K"}, {Name: "nope", Key: "N"}}}); err == nil {
		t.Error("Fetch of a missing required secret succeeded")
	} else {
		msgs = append(msgs, err.Error())
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "polled key vault") || !strings.Contains(logs, "listing secrets is forbidden") {
		t.Fatalf("expected log lines missing:\n%s", logs)
	}
	for _, s := range append(msgs, logs) {
		for _, bad := range []string{"value-1", "value-2", "value-rotated", "value-3"} {
			if strings.Contains(s, bad) {
				t.Errorf("%q leaked into %q", bad, s)
			}
		}
	}
}
