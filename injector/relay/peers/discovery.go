package peers

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	discoveryclient "k8s.io/client-go/kubernetes/typed/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// Discovery watches the EndpointSlices of the relay's headless Service and
// answers which peers are ready. RBAC: list and watch endpointslices in
// the relay's namespace.
type Discovery struct {
	store  cache.Store
	synced cache.InformerSynced
	self   string // this replica's pod IP
	port   string // the Service port name whose number peers listen on
}

// NewDiscovery starts watching the slices of service in namespace until
// ctx ends. selfIP (the pod's IP, from the Downward API) is left out of
// Peers; portName is the slice port that carries the relay's HTTPS port.
func NewDiscovery(ctx context.Context, client discoveryclient.EndpointSlicesGetter, namespace, service, selfIP, portName string) *Discovery {
	selector := discoveryv1.LabelServiceName + "=" + service
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = selector
			return client.EndpointSlices(namespace).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = selector
			return client.EndpointSlices(namespace).Watch(ctx, o)
		},
	}
	// The wrapper tells the reflector whether client can stream its list
	// (a real API server can; client-go's fake cannot).
	inf := cache.NewSharedIndexInformer(cache.ToListWatcherWithWatchListSemantics(lw, client), &discoveryv1.EndpointSlice{}, 0, cache.Indexers{})
	go inf.Run(ctx.Done())
	return &Discovery{store: inf.GetStore(), synced: inf.HasSynced, self: selfIP, port: portName}
}

// Synced reports whether the first list arrived.
func (d *Discovery) Synced() bool { return d.synced() }

// Peers returns the base URLs of the ready peers, sorted.
func (d *Discovery) Peers() []string {
	var out []string
	for _, obj := range d.store.List() {
		es, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok {
			continue
		}
		port := slicePort(es, d.port)
		if port == 0 {
			continue
		}
		for _, ep := range es.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, addr := range ep.Addresses {
				if addr == d.self {
					continue
				}
				u := fmt.Sprintf("https://%s", net.JoinHostPort(addr, strconv.Itoa(int(port))))
				if !slices.Contains(out, u) {
					out = append(out, u)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func slicePort(es *discoveryv1.EndpointSlice, name string) int32 {
	for _, p := range es.Ports {
		if p.Name != nil && *p.Name == name && p.Port != nil {
			return *p.Port
		}
	}
	return 0
}
