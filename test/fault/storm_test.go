package fault

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// TestRapidChangesLoseNoUpdate makes 1,000 Fig changes and 50 secret
// rotations as fast as the emulators take them while a sidecar runs. The
// file must end up byte for byte what a fresh agent renders from the final
// state: intermediate values may be coalesced away, the last one may not.
func TestRapidChangesLoseNoUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, envOptions{})
	f.start(f.options())
	kv := f.env.Vaults["orders-kv"]
	for i := range 1000 {
		must(t, f.env.Fig.SetValues("OrderService", "", map[string]figapi.Value{
			"Location":   figapi.String(fmt.Sprintf("city-%04d", i)),
			"RetryCount": figapi.Int(int32(i)),
		}))
		if i%20 == 0 {
			_, err := kv.SetSecret("api-key", fmt.Sprintf("key-%04d", i))
			must(t, err)
		}
	}
	want := withoutLoadTime(freshRender(t, f))
	testutil.Eventually(t, "the file in the final state", 20*time.Second, func() bool { return string(withoutLoadTime(f.read())) == string(want) })
	if f.key("Location") != "city-0999" || f.key("RetryCount") != "999" || f.key("PaymentApiKey") != "key-0980" {
		t.Errorf("final file: Location %q, RetryCount %q, PaymentApiKey %q", f.key("Location"), f.key("RetryCount"), f.key("PaymentApiKey"))
	}
}

// loadTime is Fig.Client's LastFigUpdateUtcTicks metadata: the time of the
// agent's own last load, which differs between any two agents.
var loadTime = regexp.MustCompile(`"LastFigUpdateUtcTicks": ?"[0-9]+"`)

func withoutLoadTime(b []byte) []byte { return loadTime.ReplaceAll(b, nil) }

// freshRender renders the sources' current state once, with a new agent, to
// another path, and returns the bytes.
func freshRender(t *testing.T, f *fixture) []byte {
	t.Helper()
	cfg := *f.cfg
	out := filepath.Join(t.TempDir(), filepath.Base(f.out))
	cfg.Outputs = []config.Output{{Path: out, Format: f.cfg.Outputs[0].Format, Mode: f.cfg.Outputs[0].Mode}}
	a, err := agent.New(context.Background(), &cfg, f.options())
	must(t, err)
	must(t, a.RenderOnce(context.Background()))
	data, err := os.ReadFile(out)
	must(t, err)
	return data
}
