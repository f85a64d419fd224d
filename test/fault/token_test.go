package fault

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/entra"
)

// TestTokenFileRotatedAndBrieflyMissing rotates the projected token the way
// the kubelet does (a new file renamed into place) and removes it for a
// while, with access tokens that live 1 minute (below MSAL's 5-minute cache
// margin, so every Key Vault poll needs Entra ID). The agent must keep
// serving the last good file throughout and pick up secret changes after
// the token is back.
//
// azidentity caches the assertion read from the file for 10 minutes, so a
// gap shorter than that is invisible to Entra ID; the test proves the agent
// rides it out, not that the file is re-read within the gap.
func TestTokenFileRotatedAndBrieflyMissing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, envOptions{entra: entra.Options{ExpiresIn: time.Minute}})
	f.start(f.options())
	kv := f.env.Vaults["orders-kv"]

	current, err := os.ReadFile(f.env.TokenFile)
	must(t, err)
	// Rotation: a new file renamed over the old one.
	next := filepath.Join(filepath.Dir(f.env.TokenFile), ".token.next")
	must(t, os.WriteFile(next, current, 0o600))
	must(t, os.Rename(next, f.env.TokenFile))
	_, err = kv.SetSecret("api-key", "after-rotation")
	must(t, err)
	f.eventually("a change after the rotation", 10*time.Second, func() bool { return f.key("PaymentApiKey") == "after-rotation" })

	// Briefly missing: two more polls run without the file.
	before := f.read()
	must(t, os.Remove(f.env.TokenFile))
	polls := kv.Requests("list")
	f.eventually("two polls without the token file", 10*time.Second, func() bool { return kv.Requests("list") >= polls+2 })
	if got := f.read(); string(got) != string(before) {
		t.Fatal("the file changed while the token file was missing")
	}
	must(t, os.WriteFile(f.env.TokenFile, current, 0o600))
	_, err = kv.SetSecret("api-key", "after-token-returned")
	must(t, err)
	f.eventually("a change after the token returned", 10*time.Second, func() bool { return f.key("PaymentApiKey") == "after-token-returned" })
}
