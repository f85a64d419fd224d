package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// TestHookFloodIsCoalescedPerClient: hooks that arrive while a stream waits
// out its minimum spacing reach the subscriber as one line naming every
// changed setting. The spacing is long (3 s) so that the 20 concurrent
// hooks, each a local HTTPS round trip, surely land inside it.
func TestHookFloodIsCoalescedPerClient(t *testing.T) {
	h := hub.New(nil)
	verifier := testutil.HookVerifier(t, hookSecret)
	relay := httptest.NewTLSServer(server.New(server.Options{Hub: h, Authorizer: devenv.RelayPod{}, MinSpacing: 3 * time.Second,
		Hooks: &hook.Handler{Verifier: verifier, Sink: h, Log: slog.New(slog.DiscardHandler)}}))
	defer relay.Close()

	req, _ := http.NewRequest(http.MethodPost, relay.URL+wire.SubscribePath, strings.NewReader(`{"client":"OrderService"}`))
	req.Header.Set("Authorization", "Bearer pod-token")
	resp, err := relay.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	next := func() wire.Event {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("stream ended: %v", lines.Err())
		}
		var ev wire.Event
		if err := json.Unmarshal(lines.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	post := func(setting string) {
		if status := testutil.PostSettingChanged(t, relay.Client(), relay.URL+"/fig/", "Secret "+hookSecret, "OrderService", setting); status != 200 {
			t.Errorf("hook %s: status %d", setting, status)
		}
	}
	if ev := next(); ev.Type != wire.TypeHello {
		t.Fatalf("first line %+v, want hello", ev)
	}
	post("First") // written at once; the stream then waits out its spacing
	if ev := next(); !slices.Equal(ev.Settings, []string{"First"}) {
		t.Fatalf("first wake-up %+v", ev)
	}
	var wg sync.WaitGroup
	var want []string
	for i := range 20 {
		name := fmt.Sprintf("S%02d", i)
		want = append(want, name)
		wg.Go(func() { post(name) })
	}
	wg.Wait()
	ev := next()
	if ev.Type != wire.TypeSettingsChanged || !slices.Equal(ev.Settings, want) {
		t.Errorf("after the flood: %+v, want one settingsChanged naming %v", ev, want)
	}
}
