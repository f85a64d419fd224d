//go:build e2e

package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/fig-injector/fig-injector/injector/kubeconfig"
	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/lease"
	"github.com/fig-injector/fig-injector/injector/relay/peers"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

const relayAudience = "fig-injector-relay"

// TestRelayAuthOnARealAPIServer (issue 14): subscribers are authenticated
// by TokenReview against the real API server and authorised by their pod's
// annotations or its ConfigMap config: pod-bound tokens for the relay's
// audience only, the pod's own client and vault only, and nothing once the
// pod is gone: refused at once (although the API server still accepts the
// token for a few seconds), and its open stream closed at the next
// re-authorisation.
func TestRelayAuthOnARealAPIServer(t *testing.T) {
	ctx := context.Background()
	cs := env.cluster.client
	const ns = "relay-auth"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "orders"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "orders-1", Annotations: map[string]string{
			"fig-injector.io/client-name": "OrderService", "fig-injector.io/keyvault": "https://orders-kv.vault.azure.net/"}},
		Spec: corev1.PodSpec{ServiceAccountName: "orders", Containers: []corev1.Container{{Name: "app", Image: "example.com/app:1"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	token := func(audience string, bound bool) string {
		t.Helper()
		spec := authenticationv1.TokenRequestSpec{Audiences: []string{audience}}
		if bound {
			spec.BoundObjectRef = &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID}
		}
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "orders", &authenticationv1.TokenRequest{Spec: spec}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	cfg, err := kubeconfig.Load(env.cluster.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	k, err := auth.NewKubernetes(cfg, relayAudience)
	if err != nil {
		t.Fatal(err)
	}
	podToken := token(relayAudience, true)
	orders := wire.Subscription{Client: "OrderService", Vaults: []string{"https://orders-kv.vault.azure.net/", "https://billing-kv.vault.azure.net/"}}
	tests := []struct {
		name    string
		token   string
		want    wire.Subscription
		sub     wire.Subscription
		wantErr error
	}{
		{"the pod's token, its client and vault", podToken, orders,
			wire.Subscription{Client: "OrderService", Vaults: []string{"https://orders-kv.vault.azure.net/"}}, nil},
		{"another client", podToken, wire.Subscription{Client: "Billing"}, wire.Subscription{}, auth.ErrForbidden},
		{"a token for the API server's audience", token("https://kubernetes.default.svc", true), orders, wire.Subscription{}, auth.ErrUnauthenticated},
		{"a token not bound to a pod", token(relayAudience, false), orders, wire.Subscription{}, auth.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, err := k.Authorize(ctx, tt.token, tt.want)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.sub, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// A pod configured by a ConfigMap: the relay reads the ConfigMap (REST get) for its claims.
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "orders-config"},
		Data: map[string]string{"agent.yaml": "fig: {clientName: OrderService, clientSecret: {file: /etc/s}}\nkeyVaults: [{url: \"https://cm-kv.vault.azure.net/\"}]\noutputs: [{path: /fig/a.json}]\n"}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cmPod, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "orders-cm", Annotations: map[string]string{"fig-injector.io/config-configmap": "orders-config/agent.yaml"}},
		Spec:       corev1.PodSpec{ServiceAccountName: "orders", Containers: []corev1.Container{{Name: "app", Image: "example.com/app:1"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "orders", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		Audiences: []string{relayAudience}, BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: cmPod.Name, UID: cmPod.UID}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := k.Authorize(ctx, tr.Status.Token, wire.Subscription{Client: "OrderService", Vaults: []string{"https://cm-kv.vault.azure.net/", "https://orders-kv.vault.azure.net/"}})
	if want := (wire.Subscription{Client: "OrderService", Vaults: []string{"https://cm-kv.vault.azure.net/"}}); err != nil || !cmp.Equal(got, want) {
		t.Errorf("ConfigMap-configured pod: %+v, %v; want %+v", got, err, want)
	}

	k.Peer = ns + "/orders"
	if err := k.AuthenticatePeer(ctx, podToken); err != nil {
		t.Errorf("the relay's own service account as a peer: %v", err)
	}
	// An open stream of the pod, re-authorised every 100 ms.
	h := hub.New(nil)
	relay := httptest.NewTLSServer(server.New(server.Options{Hub: h, Authorizer: k, Reauthorize: 100 * time.Millisecond}))
	defer relay.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, relay.URL+wire.SubscribePath, strings.NewReader(`{"Client":"OrderService"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+podToken)
	resp, err := relay.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the pod's subscription: %v %v", resp, err)
	}
	defer resp.Body.Close()
	streamEnded := make(chan struct{})
	go func() {
		defer close(streamEnded)
		_, _ = io.Copy(io.Discard, resp.Body)
	}()

	if err := cs.CoreV1().Pods(ns).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	// The API server caches token validations for a few seconds (about 10 s
	// here) and may still accept the token; the relay's read of the pod
	// refuses it at once.
	if _, _, err := k.Authorize(ctx, podToken, orders); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("the deleted pod's token right after the deletion: %v, want ErrUnauthenticated", err)
	}
	select {
	case <-streamEnded:
	case <-time.After(10 * time.Second):
		t.Error("the deleted pod's stream is still open 10 s after the deletion")
	}
	testutil.Eventually(t, "the deleted pod's subscription gone from the hub", 5*time.Second, func() bool { return h.Subscribers() == 0 })
}

// TestRelayPeersOnARealAPIServer: replicas find each other in the
// EndpointSlices of their headless Service, as the API server serves them
// (list and watch, streaming lists included).
func TestRelayPeersOnARealAPIServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := env.cluster.client
	const ns = "relay-peers"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	port, name, ready := int32(8443), "https", true
	mk := func(sliceName string, ips ...string) *discoveryv1.EndpointSlice {
		es := &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: sliceName, Labels: map[string]string{discoveryv1.LabelServiceName: "relay-peers"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port}},
		}
		for _, ip := range ips {
			es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}})
		}
		return es
	}
	if _, err := cs.DiscoveryV1().EndpointSlices(ns).Create(ctx, mk("a", "10.1.0.1", "10.1.0.2"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	slices, err := peers.NewSlices(env.cluster.rest, ns)
	if err != nil {
		t.Fatal(err)
	}
	d := peers.NewDiscovery(ctx, slices, "relay-peers", "10.1.0.1", "https")
	testutil.Eventually(t, "the first peer", 10*time.Second, func() bool { return cmp.Equal(d.Peers(), []string{"https://10.1.0.2:8443"}) })
	if _, err := cs.DiscoveryV1().EndpointSlices(ns).Create(ctx, mk("b", "10.1.0.3"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the added peer", 10*time.Second, func() bool {
		return cmp.Equal(d.Peers(), []string{"https://10.1.0.2:8443", "https://10.1.0.3:8443"})
	})
}

// cutTransport fails every request while down: a replica cut off from the
// API server (or one that stopped renewing without releasing).
type cutTransport struct {
	next http.RoundTripper
	down *atomic.Bool
}

func (c cutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.down.Load() {
		return nil, errors.New("cut off from the API server")
	}
	return c.next.RoundTrip(r)
}

// TestRelayLeaseOnARealAPIServer: the relay's election over its REST
// client, against the real API server's Lease (validation,
// resourceVersion conflicts, create races): one of two replicas leads; cut
// off, it steps down and the other takes over within a lease duration; a
// replica that shuts down releases the Lease and the other takes over at
// its next retry.
func TestRelayLeaseOnARealAPIServer(t *testing.T) {
	cs := env.cluster.client
	const ns = "relay-lease"
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const leaseDuration = 2 * time.Second
	type replica struct {
		el      *lease.Elector
		down    *atomic.Bool
		leading atomic.Int32
		stop    func()
	}
	start := func(name string) *replica {
		r := &replica{down: &atomic.Bool{}}
		cfg := rest.CopyConfig(env.cluster.rest)
		cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return cutTransport{next: rt, down: r.down} }
		api, err := lease.NewAPI(cfg, ns, "fig-injector-relay")
		if err != nil {
			t.Fatal(err)
		}
		r.el = lease.New(lease.Config{API: api, Identity: name, LeaseDuration: leaseDuration, RenewDeadline: time.Second, RetryPeriod: 200 * time.Millisecond,
			Lead: func(ctx context.Context) { r.leading.Add(1); <-ctx.Done(); r.leading.Add(-1) }})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.el.Run(ctx) }()
		r.stop = sync.OnceFunc(func() { cancel(); <-done })
		t.Cleanup(r.stop)
		return r
	}
	a, b := start("relay-a"), start("relay-b")
	testutil.Eventually(t, "one replica leads", 20*time.Second, func() bool { return a.el.IsLeader() || b.el.IsLeader() })
	leader, other := a, b
	if b.el.IsLeader() {
		leader, other = b, a
	}
	testutil.Never(t, "both leading", 3*time.Second, func() bool { return a.leading.Load()+b.leading.Load() > 1 })
	l, err := env.cluster.client.CoordinationV1().Leases(ns).Get(context.Background(), "fig-injector-relay", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h := l.Spec.HolderIdentity; h == nil || (*h != "relay-a" && *h != "relay-b") || *l.Spec.LeaseDurationSeconds != 2 {
		t.Errorf("the Lease's spec %+v", l.Spec)
	}

	leader.down.Store(true)
	cut := time.Now()
	testutil.Eventually(t, "the other replica takes over", 20*time.Second, other.el.IsLeader)
	if took := time.Since(cut); took > leaseDuration+time.Second {
		t.Errorf("takeover after %s, want within one lease duration (%s) and a retry", took, leaseDuration)
	}
	if leader.leading.Load() != 0 {
		t.Error("the cut-off replica still leads")
	}
	leader.down.Store(false)
	testutil.Never(t, "the old leader taking the Lease back", time.Second, leader.el.IsLeader)

	released := time.Now()
	other.stop()
	testutil.Eventually(t, "the old leader takes over after the release", 20*time.Second, leader.el.IsLeader)
	if took := time.Since(released); took > leaseDuration {
		t.Errorf("takeover after a release took %s, want one retry, well within the lease duration", took)
	}
}
