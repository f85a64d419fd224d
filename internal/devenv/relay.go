package devenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// RelayPodToken is the one subscriber token RelayPod accepts.
const RelayPodToken = "pod-token"

// RelayPod stands for the relay's TokenReview and pod lookup (tested in
// relay/auth): RelayPodToken belongs to a pod that may subscribe to what it
// asks for; any other token is refused.
type RelayPod struct{}

// Authorize implements server.Authorizer.
func (RelayPod) Authorize(_ context.Context, token string, want wire.Subscription) (auth.Identity, wire.Subscription, error) {
	if token != RelayPodToken {
		return auth.Identity{}, wire.Subscription{}, fmt.Errorf("%w: bad token", auth.ErrUnauthenticated)
	}
	return auth.Identity{Namespace: "shop", Pod: "orders-1"}, want, nil
}

// RelayTokenFile writes RelayPodToken where a subscriber reads its
// projected token, and returns the path.
func RelayTokenFile(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "token")
	if err := os.WriteFile(path, []byte(RelayPodToken), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// AwaitEvent reads a subscriber's events until one matches, failing tb
// after within.
func AwaitEvent(tb testing.TB, events <-chan wire.Event, within time.Duration, what string, match func(wire.Event) bool) {
	tb.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev := <-events:
			if match(ev) {
				return
			}
		case <-deadline:
			tb.Fatalf("no %s within %s", what, within)
		}
	}
}
