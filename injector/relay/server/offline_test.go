package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/offlinestore"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/subscribe"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/injector/source/fig"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
	"github.com/fig-injector/fig-injector/injector/source/fig/offline"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// ordersPod is devenv.RelayPod for a pod of Fig client OrderService: a
// copy of any other client is refused as auth.Kubernetes refuses it.
type ordersPod struct{ devenv.RelayPod }

func (p ordersPod) Authorize(ctx context.Context, token string, want wire.Subscription) (auth.Identity, wire.Subscription, error) {
	id, got, err := p.RelayPod.Authorize(ctx, token, want)
	if err == nil && want.Client != "OrderService" {
		return id, wire.Subscription{}, fmt.Errorf("%w: pod shop/orders-1 is Fig client %q, not %q", auth.ErrForbidden, "OrderService", want.Client)
	}
	return id, got, err
}

func offlineRelay(t *testing.T, store server.OfflineStore) (*httptest.Server, *testutil.Buffer) {
	t.Helper()
	logs := &testutil.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := server.Options{Hub: hub.New(nil), Authorizer: ordersPod{}, Log: log,
		Hooks: &hook.Handler{Verifier: testutil.HookVerifier(t, hookSecret), Log: log}}
	if store != nil {
		opts.Offline = store
	}
	relay := httptest.NewTLSServer(server.New(opts))
	t.Cleanup(relay.Close)
	return relay, logs
}

// TestOfflineCopyHoldsCiphertextOnly: the agent's sealed copy goes into the
// Secret as it was sent, and neither the Secret nor the relay's log holds a
// setting value; the pod gets it back and decrypts it with its secret.
func TestOfflineCopyHoldsCiphertextOnly(t *testing.T) {
	ctx := context.Background()
	secrets := &devenv.Secrets{}
	relay, logs := offlineRelay(t, &offlinestore.Store{API: secrets})
	const clientSecret = "a2f4c6e8-0b1d-4f3a-9c5e-7d9f1b3d5f7a"
	values := []string{"Zürich-HQ", "s3cr3t-db-password"}
	sealed, err := offline.Seal(clientSecret, offline.Copy{PersistedUtc: time.Now(), Settings: []fig.Setting{
		{Name: "Location", Value: contract.StringValue(values[0])},
		{Name: "DbPassword", IsSecret: true, Value: contract.StringValue(values[1])},
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := &subscribe.Offline{URL: relay.URL, TokenFile: devenv.RelayTokenFile(t), Client: "OrderService", Instance: "eu", HTTPClient: relay.Client()}
	if _, err := c.Get(ctx); !errors.Is(err, subscribe.ErrNoCopy) {
		t.Fatalf("Get before any upload: %v, want ErrNoCopy", err)
	}
	if err := c.Put(ctx, sealed); err != nil {
		t.Fatal(err)
	}
	all := secrets.All()
	if len(all) != 1 || string(all[0].Data[offlinestore.DataKey]) != sealed {
		t.Fatalf("Secrets after the upload: %d, want one holding the ciphertext as sent", len(all))
	}
	whole, _ := json.Marshal(all[0])
	for _, v := range values {
		if strings.Contains(string(whole), v) || strings.Contains(logs.String(), v) {
			t.Errorf("the value %q is in the Secret or the relay's log", v)
		}
	}
	if strings.Contains(logs.String(), sealed[:32]) {
		t.Error("the relay logged the ciphertext")
	}
	got, err := c.Get(ctx)
	if err != nil || got != sealed {
		t.Fatalf("Get = %d bytes, %v; want the copy uploaded", len(got), err)
	}
	back, err := offline.Open(clientSecret, got)
	if err != nil || len(back.Settings) != 2 || back.Settings[1].Name != "DbPassword" {
		t.Fatalf("the pod cannot read its copy back: %v", err)
	}
	if err := c.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx); !errors.Is(err, subscribe.ErrNoCopy) || len(secrets.All()) != 0 {
		t.Errorf("after Delete: Get %v, %d Secrets; want ErrNoCopy and none", err, len(secrets.All()))
	}
}

// TestOfflineCopyRefusals: another client's copy, a bad token, plaintext,
// an oversized copy and a relay without copies are refused with a status
// and a reason that says why.
func TestOfflineCopyRefusals(t *testing.T) {
	ctx := context.Background()
	secrets := &devenv.Secrets{}
	relay, _ := offlineRelay(t, &offlinestore.Store{API: secrets})
	bare, _ := offlineRelay(t, nil)
	token := devenv.RelayTokenFile(t)
	orders := &subscribe.Offline{URL: relay.URL, TokenFile: token, Client: "OrderService", HTTPClient: relay.Client()}
	if err := orders.Put(ctx, "AAAA"); err != nil {
		t.Fatal(err)
	}
	badToken := t.TempDir() + "/token"
	if err := os.WriteFile(badToken, []byte("someone-else"), 0o600); err != nil {
		t.Fatal(err)
	}
	billing := &subscribe.Offline{URL: relay.URL, TokenFile: token, Client: "Billing", HTTPClient: relay.Client()}
	stranger := &subscribe.Offline{URL: relay.URL, TokenFile: badToken, Client: "OrderService", HTTPClient: relay.Client()}
	tests := []struct {
		name   string
		call   func() error
		status int
		reason string
	}{
		{"another client's copy", func() error { _, err := billing.Get(ctx); return err }, http.StatusForbidden, "not \"Billing\""},
		{"another client's upload", func() error { return billing.Put(ctx, "AAAA") }, http.StatusForbidden, "not \"Billing\""},
		{"another client's delete", func() error { return billing.Delete(ctx) }, http.StatusForbidden, "not \"Billing\""},
		{"a token the relay does not accept", func() error { _, err := stranger.Get(ctx); return err }, http.StatusUnauthorized, "bad token"},
		{"plaintext", func() error { return orders.Put(ctx, `{"Location":"Zürich"}`) }, http.StatusBadRequest, "not Base64 ciphertext"},
		{"a copy larger than a Secret", func() error { return orders.Put(ctx, strings.Repeat("A", wire.MaxOfflineCopy+4)) }, http.StatusRequestEntityTooLarge, "more than a Secret holds"},
		{"a relay without offline copies", func() error {
			_, err := (&subscribe.Offline{URL: bare.URL, TokenFile: token, Client: "OrderService", HTTPClient: bare.Client()}).Get(ctx)
			return err
		}, http.StatusNotImplemented, "relay.offline.enabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var refused *subscribe.RefusedError
			if err := tt.call(); !errors.As(err, &refused) || refused.Status != tt.status || !strings.Contains(refused.Reason, tt.reason) {
				t.Fatalf("error %v; want status %d naming %q", err, tt.status, tt.reason)
			}
		})
	}
	if got, err := orders.Get(ctx); err != nil || got != "AAAA" {
		t.Errorf("the client's own copy after the refusals: %q, %v; want it unchanged", got, err)
	}
}

// TestOfflineRetentionBounds: a retention shorter than two of the agents'
// daily uploads would delete the copies of running clients; Run refuses
// it (and a negative one) before anything starts, naming the fix.
func TestOfflineRetentionBounds(t *testing.T) {
	for _, r := range []time.Duration{-time.Hour, time.Hour, wire.MinOfflineRetention - time.Second} {
		err := server.Run(context.Background(), server.Config{OfflineRetention: r}, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "offline retention") || !strings.Contains(err.Error(), "at least 48h") {
			t.Errorf("Run with --offline-retention %s: %v, want a refusal naming the minimum", r, err)
		}
	}
}
