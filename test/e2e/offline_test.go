//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/fig-injector/fig-injector/injector/kubeconfig"
	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/offlinestore"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/subscribe"
	"github.com/fig-injector/fig-injector/injector/source/fig"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
	"github.com/fig-injector/fig-injector/injector/source/fig/offline"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// TestRelayOfflineCopiesOnARealAPIServer (issue 14): the relay's store of
// offline copies, as the relay's ServiceAccount with the chart's Role
// (secrets in its own namespace only), against the real API server: the
// Secret holds the ciphertext the agent sent and no setting value; an
// upload replaces it, a delete removes it; another namespace is forbidden.
func TestRelayOfflineCopiesOnARealAPIServer(t *testing.T) {
	ctx := context.Background()
	cs := env.cluster.client
	const ns, other = "relay-offline", "relay-offline-other"
	for _, n := range []string{ns, other} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The chart's relay-rbac.yaml Role and RoleBinding for offline copies.
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "relay-offline"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "create", "update", "delete"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "relay-offline"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "relay-offline"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "relay", Namespace: ns}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := kubeconfig.Load(env.cluster.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Impersonate.UserName = "system:serviceaccount:" + ns + ":relay"
	store, err := offlinestore.New(cfg, ns)
	if err != nil {
		t.Fatal(err)
	}

	const clientSecret = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
	values := []string{"Zürich-warehouse", "s3cr3t-db-password-e2e"}
	sealed, err := offline.Seal(clientSecret, offline.Copy{PersistedUtc: time.Now(), Settings: []fig.Setting{
		{Name: "Location", Value: contract.StringValue(values[0])},
		{Name: "DbPassword", IsSecret: true, Value: contract.StringValue(values[1])},
	}})
	if err != nil {
		t.Fatal(err)
	}
	key := offlinestore.Key{Client: "Order Service", Instance: "eu-west"}
	// Twice: the second is an update of the existing Secret (its resourceVersion).
	for _, copyText := range []string{"AAAA", sealed} {
		if err := store.Put(ctx, key, []byte(copyText), "shop/orders-1"); err != nil {
			t.Fatalf("Put as the relay's ServiceAccount: %v", err)
		}
	}
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, offlinestore.SecretName(key), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(sec.Data[offlinestore.DataKey]) != sealed || sec.Type != offlinestore.SecretType || sec.Labels[offlinestore.Label] != "true" {
		t.Errorf("Secret %s: type %s, labels %v, data %d bytes; want the ciphertext as sent", sec.Name, sec.Type, sec.Labels, len(sec.Data[offlinestore.DataKey]))
	}
	whole, _ := json.Marshal(sec)
	for _, v := range values {
		if strings.Contains(string(whole), v) {
			t.Errorf("the Secret holds %q in plaintext", v)
		}
	}
	got, err := store.Get(ctx, key)
	if err != nil || string(got) != sealed {
		t.Fatalf("Get = %d bytes, %v", len(got), err)
	}
	if c, err := offline.Open(clientSecret, string(got)); err != nil || len(c.Settings) != 2 {
		t.Errorf("the copy read back does not open with the client secret: %v", err)
	}
	if err := store.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, key); !errors.Is(err, offlinestore.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	expireOnTheAPIServer(ctx, t, cfg, ns)

	elsewhere, err := offlinestore.New(cfg, other)
	if err != nil {
		t.Fatal(err)
	}
	if err := elsewhere.Put(ctx, key, []byte(sealed), "shop/orders-1"); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("Put in another namespace: %v, want forbidden (the Role is the relay's namespace only)", err)
	}
}

// expireOnTheAPIServer: the retention sweep's list by label and delete
// with a resourceVersion precondition, as the relay's ServiceAccount: an
// old copy goes, a Secret of the namespace that is no copy stays.
func expireOnTheAPIServer(ctx context.Context, t *testing.T, cfg *rest.Config, ns string) {
	t.Helper()
	other := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "not-a-copy"}, StringData: map[string]string{"k": "v"}}
	if _, err := env.cluster.client.CoreV1().Secrets(ns).Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	clock := testutil.NewClock(time.Now().Add(-72 * time.Hour))
	store, err := offlinestore.New(cfg, ns)
	if err != nil {
		t.Fatal(err)
	}
	store.Clock = clock
	old := offlinestore.Key{Client: "Retired Service"}
	if err := store.Put(ctx, old, []byte("AAAA"), "shop/retired-0"); err != nil {
		t.Fatal(err)
	}
	expired, err := store.Expire(ctx, time.Now().Add(-48*time.Hour))
	if err != nil || len(expired) != 1 || expired[0].Key != old {
		t.Fatalf("Expire = %+v, %v; want the copy uploaded 72 h ago", expired, err)
	}
	if _, err := store.Get(ctx, old); !errors.Is(err, offlinestore.ErrNotFound) {
		t.Errorf("Get after Expire: %v, want ErrNotFound", err)
	}
	if _, err := env.cluster.client.CoreV1().Secrets(ns).Get(ctx, other.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("Expire touched a Secret that is no copy: %v", err)
	}
}

// TestRelayOfflineCopyThroughTheRelayOnARealAPIServer: the whole path of
// an offline copy with the real TokenReview, pod read and Secrets: the pod
// of OrderService uploads and reads back its copy; the pod of Billing, with
// a valid token of its own, is refused OrderService's copy; the relay's log
// holds neither a value nor the ciphertext.
func TestRelayOfflineCopyThroughTheRelayOnARealAPIServer(t *testing.T) {
	ctx := context.Background()
	cs := env.cluster.client
	const ns = "relay-offline-path"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "apps"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tokenFile := func(podName, client string) string {
		t.Helper()
		pod, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: podName, Annotations: map[string]string{"fig-injector.io/client-name": client}},
			Spec:       corev1.PodSpec{ServiceAccountName: "apps", Containers: []corev1.Container{{Name: "app", Image: "example.com/app:1"}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "apps", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			Audiences: []string{relayAudience}, BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(path, []byte(tr.Status.Token), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ordersToken, billingToken := tokenFile("orders-1", "OrderService"), tokenFile("billing-1", "Billing")

	cfg, err := kubeconfig.Load(env.cluster.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	authz, err := auth.NewKubernetes(cfg, relayAudience)
	if err != nil {
		t.Fatal(err)
	}
	store, err := offlinestore.New(cfg, ns)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	relay := httptest.NewTLSServer(server.New(server.Options{Hub: hub.New(nil), Authorizer: authz, Offline: store, Log: log,
		Hooks: &hook.Handler{Verifier: testutil.HookVerifier(t, "e2e-offline-hook-secret-0123456789"), Log: log}}))
	defer relay.Close()

	const clientSecret = "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d"
	sealed, err := offline.Seal(clientSecret, offline.Copy{PersistedUtc: time.Now(), Settings: []fig.Setting{
		{Name: "Location", Value: contract.StringValue("Groningen-e2e")}}})
	if err != nil {
		t.Fatal(err)
	}
	orders := &subscribe.Offline{URL: relay.URL, TokenFile: ordersToken, Client: "OrderService", HTTPClient: relay.Client()}
	if err := orders.Put(ctx, sealed); err != nil {
		t.Fatalf("the pod's own upload: %v", err)
	}
	if got, err := orders.Get(ctx); err != nil || got != sealed {
		t.Fatalf("the pod's own copy: %d bytes, %v", len(got), err)
	}
	var refused *subscribe.RefusedError
	stranger := &subscribe.Offline{URL: relay.URL, TokenFile: billingToken, Client: "OrderService", HTTPClient: relay.Client()}
	if _, err := stranger.Get(ctx); !errors.As(err, &refused) || refused.Status != http.StatusForbidden {
		t.Errorf("Billing's pod reading OrderService's copy: %v, want 403", err)
	}
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, offlinestore.SecretName(offlinestore.Key{Client: "OrderService"}), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(sec.Data[offlinestore.DataKey]) != sealed || sec.Annotations[offlinestore.UploadedByAnnot] != ns+"/orders-1" {
		t.Errorf("Secret %s: uploaded by %q, %d bytes of data; want the ciphertext from %s/orders-1", sec.Name, sec.Annotations[offlinestore.UploadedByAnnot], len(sec.Data[offlinestore.DataKey]), ns)
	}
	if l := logs.String(); strings.Contains(l, "Groningen-e2e") || strings.Contains(l, sealed[:24]) {
		t.Error("the relay logged the copy or a value")
	}
}
