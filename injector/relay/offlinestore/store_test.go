package offlinestore_test

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fig-injector/fig-injector/injector/relay/offlinestore"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

func TestPutGetReplaceDelete(t *testing.T) {
	ctx := context.Background()
	secrets := &devenv.Secrets{}
	s := &offlinestore.Store{API: secrets}
	orders, eu := offlinestore.Key{Client: "Order Service"}, offlinestore.Key{Client: "Order Service", Instance: "eu"}
	if _, err := s.Get(ctx, orders); !errors.Is(err, offlinestore.ErrNotFound) {
		t.Fatalf("Get before Put: %v, want ErrNotFound", err)
	}
	for _, step := range []struct {
		key  offlinestore.Key
		text string
	}{{orders, "first"}, {eu, "eu copy"}, {orders, "second"}} {
		if err := s.Put(ctx, step.key, []byte(step.text), "shop/orders-1"); err != nil {
			t.Fatal(err)
		}
	}
	for key, want := range map[offlinestore.Key]string{orders: "second", eu: "eu copy"} {
		got, err := s.Get(ctx, key)
		if err != nil || string(got) != want {
			t.Errorf("Get(%+v) = %q, %v; want %q (one copy per client and instance, the last upload wins)", key, got, err, want)
		}
	}
	all := secrets.All()
	if len(all) != 2 {
		t.Fatalf("%d Secrets, want one per client and instance", len(all))
	}
	name := regexp.MustCompile(`^fig-offline-[0-9a-f]{32}$`)
	for _, sec := range all {
		if !name.MatchString(sec.Name) || sec.Labels[offlinestore.Label] != "true" || sec.Type != offlinestore.SecretType ||
			sec.Annotations[offlinestore.UploadedByAnnot] != "shop/orders-1" || sec.Annotations["fig-injector.io/client-name"] != "Order Service" {
			t.Errorf("Secret %s: labels %v, annotations %v, type %s", sec.Name, sec.Labels, sec.Annotations, sec.Type)
		}
	}
	if err := s.Delete(ctx, orders); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, orders); err != nil {
		t.Errorf("deleting a copy that is gone: %v, want nil", err)
	}
	if _, err := s.Get(ctx, orders); !errors.Is(err, offlinestore.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, eu); err != nil {
		t.Errorf("the instance's copy went with the client's: %v", err)
	}
}

// TestForeignSecretIsNoCopy: a Secret of that name that is not the
// client's copy (a collision, or made by someone else) is neither served
// nor deleted.
func TestForeignSecretIsNoCopy(t *testing.T) {
	ctx := context.Background()
	secrets := &devenv.Secrets{}
	s := &offlinestore.Store{API: secrets}
	k := offlinestore.Key{Client: "OrderService"}
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: offlinestore.SecretName(k)}, Data: map[string][]byte{offlinestore.DataKey: []byte("x")}}
	if err := secrets.Create(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, k); !errors.Is(err, offlinestore.ErrNotFound) {
		t.Errorf("Get of a foreign Secret: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, k); err != nil || len(secrets.All()) != 1 {
		t.Errorf("Delete removed a foreign Secret (err %v)", err)
	}
	if err := s.Put(ctx, k, []byte("ciphertext"), "shop/orders-1"); err == nil {
		t.Error("Put overwrote a foreign Secret")
	}
	if got, _ := secrets.Get(ctx, foreign.Name); string(got.Data[offlinestore.DataKey]) != "x" {
		t.Error("the foreign Secret changed")
	}
}

// TestExpiryDeletesCopiesNotUploadedForTheRetention: the sweep at start and
// every hour deletes a copy whose last upload is older than the retention
// (its client is gone), keeps one uploaded since, and never touches a
// Secret that is not one of the store's copies, however old; each
// deletion is logged and counted.
func TestExpiryDeletesCopiesNotUploadedForTheRetention(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	secrets := &devenv.Secrets{}
	clock := testutil.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := &offlinestore.Store{API: secrets, Clock: clock}
	gone, alive := offlinestore.Key{Client: "Retired Service"}, offlinestore.Key{Client: "OrderService", Instance: "eu"}
	for _, k := range []offlinestore.Key{gone, alive} {
		if err := s.Put(ctx, k, []byte("c2VhbGVk"), "shop/pod-0"); err != nil {
			t.Fatal(err)
		}
	}
	// Labelled like a copy but not one (no type, names nothing): never expired.
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "fig-offline-foreign",
		Labels: map[string]string{offlinestore.Label: "true", "app.kubernetes.io/managed-by": "fig-injector-relay"}}}
	if err := secrets.Create(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	logs := &testutil.Buffer{}
	expired := &countingMetrics{}
	const retention = 30 * 24 * time.Hour
	e := &offlinestore.Expiry{Store: s, Retention: retention, Clock: clock, Metrics: expired, Log: slog.New(slog.NewTextHandler(logs, nil))}
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	names := func() []string {
		var n []string
		for _, sec := range secrets.All() {
			n = append(n, sec.Name)
		}
		slices.Sort(n)
		return n
	}
	all := names()
	swept := func() { // the next hourly sweep has run: its timer is armed again
		t.Helper()
		testutil.Eventually(t, "the sweep's next timer", 5*time.Second, func() bool { return slices.Equal(clock.Pending(), []time.Duration{time.Hour}) })
	}

	swept() // the sweep at start: nothing is old
	clock.Add(retention - 2*time.Hour)
	if err := s.Put(ctx, alive, []byte("bmV3ZXI="), "shop/pod-1"); err != nil { // the daily refresh of a running client
		t.Fatal(err)
	}
	swept()
	if got := names(); !slices.Equal(got, all) {
		t.Fatalf("before the retention ran out: Secrets %v, want %v", got, all)
	}
	for range 3 { // past the retention of gone's upload, one hour at a time
		clock.Add(time.Hour)
		swept()
	}
	want := slices.DeleteFunc(slices.Clone(all), func(n string) bool { return n == offlinestore.SecretName(gone) })
	if got := names(); !slices.Equal(got, want) {
		t.Errorf("after the retention: Secrets %v, want %v (only the copy not uploaded for %s gone)", got, want, retention)
	}
	if n := expired.n.Load(); n != 1 {
		t.Errorf("OfflineCopiesExpired counted %d, want 1", n)
	}
	if l := logs.String(); !strings.Contains(l, "offline copy expired") || !strings.Contains(l, "Retired Service") || strings.Contains(l, "c2VhbGVk") {
		t.Errorf("the log should name the expired copy's client and not its ciphertext:\n%s", l)
	}
}

// TestExpireKeepsACopyUploadedAfterTheList: a copy listed as old but
// uploaded again before its delete (on another replica) is kept: the
// delete is for the version listed only.
func TestExpireKeepsACopyUploadedAfterTheList(t *testing.T) {
	ctx := context.Background()
	secrets := &racingSecrets{Secrets: &devenv.Secrets{}}
	clock := testutil.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := &offlinestore.Store{API: secrets, Clock: clock}
	k := offlinestore.Key{Client: "OrderService"}
	if err := s.Put(ctx, k, []byte("b2xk"), "shop/pod-0"); err != nil {
		t.Fatal(err)
	}
	clock.Add(48 * time.Hour)
	secrets.afterList = func() {
		if err := s.Put(ctx, k, []byte("bmV3"), "shop/pod-1"); err != nil {
			t.Error(err)
		}
	}
	expired, err := s.Expire(ctx, clock.Now().Add(-24*time.Hour))
	if err != nil || len(expired) != 0 {
		t.Errorf("Expire = %v, %v; want nothing expired", expired, err)
	}
	if got, err := s.Get(ctx, k); err != nil || string(got) != "bmV3" {
		t.Errorf("the copy uploaded meanwhile: %q, %v", got, err)
	}
}

// racingSecrets runs afterList between a List and the next call.
type racingSecrets struct {
	*devenv.Secrets
	afterList func()
}

func (r *racingSecrets) List(ctx context.Context, selector string) ([]corev1.Secret, error) {
	l, err := r.Secrets.List(ctx, selector)
	if r.afterList != nil {
		r.afterList()
	}
	return l, err
}

type countingMetrics struct{ n atomic.Int64 }

func (c *countingMetrics) OfflineCopiesExpired(n int) { c.n.Add(int64(n)) }
