package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

const audience = "fig-injector-relay"

func orderPod() *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "orders-1", Namespace: "shop", UID: "uid-1", Annotations: map[string]string{
		"fig-injector.io/client-name": "OrderService",
		"fig-injector.io/keyvault":    "https://orders-kv.vault.azure.net/",
	}}}
}

// fakeAPI is auth.API over client-go's fake clientset.
type fakeAPI struct{ cs *fake.Clientset }

func (f fakeAPI) CreateTokenReview(ctx context.Context, tr *authnv1.TokenReview) (*authnv1.TokenReview, error) {
	return f.cs.AuthenticationV1().TokenReviews().Create(ctx, tr, metav1.CreateOptions{})
}

func (f fakeAPI) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	return f.cs.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (f fakeAPI) GetConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	return f.cs.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
}

// configPods are pods configured by a ConfigMap (fig-injector.io/
// config-configmap), token "token-of-<pod name>" each.
func configPods() []runtime.Object {
	pod := func(name, ref string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", UID: types.UID("uid-" + name),
			Annotations: map[string]string{"fig-injector.io/config-configmap": ref}}}
	}
	cm := func(name, key, cfg string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"}, Data: map[string]string{key: cfg}}
	}
	return []runtime.Object{
		pod("cm-orders", "orders-config"), pod("cm-keyed", "shared/orders.yaml"), pod("cm-missing", "gone"), pod("cm-nofig", "kv-only"),
		cm("orders-config", "config.yaml", `
fig:
  clientName: OrderService
  instance: eu
  clientSecret: {keyVault: "https://secrets-kv.vault.azure.net/secrets/fig-orders"}
keyVaults:
  - url: https://Orders-KV.vault.azure.net/
outputs: [{path: /fig/appsettings.json}]
`),
		cm("shared", "orders.yaml", `
fig: {clientName: OrderService, clientSecret: {file: /etc/fig/secret}}
outputs: [{path: /fig/appsettings.json}]
`),
		cm("kv-only", "config.yaml", `
keyVaults: [{url: "https://orders-kv.vault.azure.net/"}]
outputs: [{path: /fig/appsettings.env, format: env}]
`),
	}
}

// newAuthorizer answers TokenReviews as the API server does for the
// tokens it knows: "good" is orders-1's token for the relay's audience,
// "api" the same pod's token for the API server's audience.
func newAuthorizer(t *testing.T) *auth.Kubernetes {
	t.Helper()
	cs := fake.NewClientset(append(configPods(), orderPod())...)
	cs.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tr := a.(k8stesting.CreateAction).GetObject().(*authnv1.TokenReview)
		out := tr.DeepCopy()
		podUser := authnv1.UserInfo{Username: "system:serviceaccount:shop:orders", Extra: map[string]authnv1.ExtraValue{
			"authentication.kubernetes.io/pod-name": {"orders-1"}, "authentication.kubernetes.io/pod-uid": {"uid-1"}}}
		if pod, ok := strings.CutPrefix(tr.Spec.Token, "token-of-cm-"); ok {
			out.Status = authnv1.TokenReviewStatus{Authenticated: true, Audiences: []string{audience}, User: authnv1.UserInfo{Username: "system:serviceaccount:shop:orders",
				Extra: map[string]authnv1.ExtraValue{"authentication.kubernetes.io/pod-name": {"cm-" + pod}, "authentication.kubernetes.io/pod-uid": {"uid-cm-" + pod}}}}
			return true, out, nil
		}
		switch tr.Spec.Token {
		case "good":
			if cmp.Equal(tr.Spec.Audiences, []string{audience}) {
				out.Status = authnv1.TokenReviewStatus{Authenticated: true, User: podUser, Audiences: []string{audience}}
			}
		case "deleted-pod": // the API server's cache of reviews still accepts it
			podUser.Extra["authentication.kubernetes.io/pod-name"] = authnv1.ExtraValue{"orders-0"}
			podUser.Extra["authentication.kubernetes.io/pod-uid"] = authnv1.ExtraValue{"uid-0"}
			out.Status = authnv1.TokenReviewStatus{Authenticated: true, User: podUser, Audiences: []string{audience}}
		case "stale-pod":
			podUser.Extra["authentication.kubernetes.io/pod-uid"] = authnv1.ExtraValue{"uid-0"}
			out.Status = authnv1.TokenReviewStatus{Authenticated: true, User: podUser, Audiences: []string{audience}}
		case "legacy":
			out.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: "system:serviceaccount:shop:orders"}, Audiences: []string{audience}}
		case "user":
			out.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: "alice"}, Audiences: []string{audience}}
		}
		return true, out, nil
	})
	return &auth.Kubernetes{API: fakeAPI{cs}, Audience: audience}
}

func TestAuthorize(t *testing.T) {
	k := newAuthorizer(t)
	tests := []struct {
		name    string
		token   string
		want    wire.Subscription
		wantSub wire.Subscription
		wantErr error
	}{
		{"own client and vault", "good",
			wire.Subscription{Client: "OrderService", Vaults: []string{"https://Orders-KV.vault.azure.net/"}},
			wire.Subscription{Client: "OrderService", Vaults: []string{"https://orders-kv.vault.azure.net/"}}, nil},
		{"another vault is left out", "good",
			wire.Subscription{Client: "OrderService", Vaults: []string{"https://billing-kv.vault.azure.net/"}},
			wire.Subscription{Client: "OrderService"}, nil},
		{"another client", "good", wire.Subscription{Client: "Billing"}, wire.Subscription{}, auth.ErrForbidden},
		{"another instance", "good", wire.Subscription{Client: "OrderService", Instance: "eu"}, wire.Subscription{}, auth.ErrForbidden},
		{"token for another audience", "api", wire.Subscription{Client: "OrderService"}, wire.Subscription{}, auth.ErrUnauthenticated},
		{"token not bound to a pod", "legacy", wire.Subscription{Client: "OrderService"}, wire.Subscription{}, auth.ErrUnauthenticated},
		{"pod deleted, its token still accepted by the review", "deleted-pod", wire.Subscription{Client: "OrderService"}, wire.Subscription{}, auth.ErrUnauthenticated},
		{"pod replaced", "stale-pod", wire.Subscription{Client: "OrderService"}, wire.Subscription{}, auth.ErrUnauthenticated},
		{"a user, not a service account", "user", wire.Subscription{Client: "OrderService"}, wire.Subscription{}, auth.ErrUnauthenticated},
		{"no token", "", wire.Subscription{Client: "OrderService"}, wire.Subscription{}, auth.ErrUnauthenticated},
		{"ConfigMap config: its client, instance and vaults", "token-of-cm-orders",
			wire.Subscription{Client: "OrderService", Instance: "eu", Vaults: []string{"https://orders-kv.vault.azure.net/", "https://secrets-kv.vault.azure.net/", "https://billing-kv.vault.azure.net/"}},
			wire.Subscription{Client: "OrderService", Instance: "eu", Vaults: []string{"https://orders-kv.vault.azure.net/", "https://secrets-kv.vault.azure.net/"}}, nil},
		{"ConfigMap config: another client", "token-of-cm-orders", wire.Subscription{Client: "Billing", Instance: "eu"}, wire.Subscription{}, auth.ErrForbidden},
		{"ConfigMap config: another instance", "token-of-cm-orders", wire.Subscription{Client: "OrderService"}, wire.Subscription{}, auth.ErrForbidden},
		{"ConfigMap config under another key", "token-of-cm-keyed", wire.Subscription{Client: "OrderService"}, wire.Subscription{Client: "OrderService"}, nil},
		{"ConfigMap config gone", "token-of-cm-missing", wire.Subscription{Client: "OrderService"}, wire.Subscription{}, auth.ErrForbidden},
		{"ConfigMap config without Fig: its vault only", "token-of-cm-nofig",
			wire.Subscription{Vaults: []string{"https://orders-kv.vault.azure.net/"}}, wire.Subscription{Vaults: []string{"https://orders-kv.vault.azure.net/"}}, nil},
		{"ConfigMap config without Fig: no client", "token-of-cm-nofig", wire.Subscription{Client: "OrderService"}, wire.Subscription{}, auth.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, err := k.Authorize(context.Background(), tt.token, tt.want)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err != nil && tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Errorf("the error shows the token: %v", err)
			}
			if diff := cmp.Diff(tt.wantSub, got); diff != "" {
				t.Errorf("subscription (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAuthenticatePeer: only the relay's own service account may forward.
func TestAuthenticatePeer(t *testing.T) {
	k := newAuthorizer(t)
	for _, tc := range []struct {
		peer string
		want error
	}{{"shop/orders", nil}, {"fig/fig-injector-relay", auth.ErrForbidden}, {"", auth.ErrForbidden}} {
		k.Peer = tc.peer
		if err := k.AuthenticatePeer(context.Background(), "good"); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("peer %q: %v, want %v", tc.peer, err, tc.want)
		}
	}
	k.Peer = "shop/orders"
	if err := k.AuthenticatePeer(context.Background(), "api"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("a token for another audience: %v", err)
	}
}

// TestProbe: any answer to a TokenReview means the relay can verify
// subscribers; an API error (here RBAC's 403) means it cannot.
func TestProbe(t *testing.T) {
	if err := newAuthorizer(t).Probe(context.Background()); err != nil {
		t.Errorf("the API answered, Probe = %v", err)
	}
	cs := fake.NewClientset()
	cs.PrependReactor("create", "tokenreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New(`tokenreviews.authentication.k8s.io is forbidden: User "system:serviceaccount:fig:fig-injector-relay" cannot create resource "tokenreviews"`)
	})
	k := &auth.Kubernetes{API: fakeAPI{cs}, Audience: audience}
	if err := k.Probe(context.Background()); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("Probe = %v, want the API's refusal", err)
	}
}

// TestAuthorizePodReadFailureIsNoRefusal: an API server that cannot
// answer the pod read is not a verdict on the pod (no ErrForbidden or
// ErrUnauthenticated): the relay answers 503 and keeps open streams.
func TestAuthorizePodReadFailureIsNoRefusal(t *testing.T) {
	k := newAuthorizer(t)
	k.API.(fakeAPI).cs.PrependReactor("get", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("etcd timeout")
	})
	_, _, err := k.Authorize(context.Background(), "good", wire.Subscription{Client: "OrderService"})
	if err == nil || errors.Is(err, auth.ErrForbidden) || errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("error %v, want one that is neither a refusal nor nil", err)
	}
}
