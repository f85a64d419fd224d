package peers_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	discoveryclient "k8s.io/client-go/kubernetes/typed/discovery/v1"

	"github.com/fig-injector/fig-injector/injector/relay/peers"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// fakeSlices is the fake's EndpointSlices client that also says, as the
// fake clientset does, that it cannot stream a list (watch-list).
type fakeSlices struct {
	discoveryclient.EndpointSliceInterface
	*fake.Clientset
}

func slice(name, service string, port int32, endpoints ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	portName := "https"
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: "fig", Labels: map[string]string{discoveryv1.LabelServiceName: service}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &portName, Port: &port}},
		Endpoints:   endpoints,
	}
}

func endpoint(ip string, ready bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}
}

// TestDiscoveryFollowsEndpointSlices: ready peers of the relay's own
// Service, without this replica, and changes as the slices change.
func TestDiscoveryFollowsEndpointSlices(t *testing.T) {
	cs := fake.NewClientset(
		slice("relay-a", "fig-injector-relay-peers", 8443, endpoint("10.0.0.1", true), endpoint("10.0.0.2", true), endpoint("10.0.0.3", false)),
		slice("other", "something-else", 8443, endpoint("10.0.9.9", true)),
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := peers.NewDiscovery(ctx, fakeSlices{cs.DiscoveryV1().EndpointSlices("fig"), cs}, "fig-injector-relay-peers", "10.0.0.1", "https")
	testutil.Eventually(t, "discovery synced", 10*time.Second, d.Synced)
	if diff := cmp.Diff([]string{"https://10.0.0.2:8443"}, d.Peers()); diff != "" {
		t.Errorf("peers (-want +got):\n%s", diff)
	}
	if _, err := cs.DiscoveryV1().EndpointSlices("fig").Create(ctx,
		slice("relay-b", "fig-injector-relay-peers", 8443, endpoint("10.0.0.4", true)), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the new peer", 10*time.Second, func() bool { return len(d.Peers()) == 2 })
	if diff := cmp.Diff([]string{"https://10.0.0.2:8443", "https://10.0.0.4:8443"}, d.Peers()); diff != "" {
		t.Errorf("peers (-want +got):\n%s", diff)
	}
}
