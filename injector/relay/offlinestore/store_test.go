package offlinestore_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fig-injector/fig-injector/injector/relay/offlinestore"
	"github.com/fig-injector/fig-injector/internal/devenv"
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
