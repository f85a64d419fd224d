package peers

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/fig-injector/fig-injector/injector/kubeconfig"
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

// Slices lists and watches the EndpointSlices of one namespace (client-go's
// typed EndpointSliceInterface is one).
type Slices interface {
	List(ctx context.Context, opts metav1.ListOptions) (*discoveryv1.EndpointSliceList, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// NewSlices returns the Slices of namespace on the API server of cfg.
func NewSlices(cfg *rest.Config, namespace string) (Slices, error) {
	rc, err := kubeconfig.RESTClient(cfg, discoveryv1.SchemeGroupVersion, discoveryv1.AddToScheme)
	if err != nil {
		return nil, err
	}
	return restSlices{rc: rc, namespace: namespace}, nil
}

// restSlices is Slices over a discovery/v1 REST client: a typed client
// would link client-go's scheme of every API group (binary size).
type restSlices struct {
	rc        rest.Interface
	namespace string
}

func (r restSlices) List(ctx context.Context, opts metav1.ListOptions) (*discoveryv1.EndpointSliceList, error) {
	var list discoveryv1.EndpointSliceList
	err := r.rc.Get().Namespace(r.namespace).Resource("endpointslices").
		VersionedParams(&opts, metav1.ParameterCodec).Timeout(timeout(opts)).Do(ctx).Into(&list)
	if err != nil {
		return nil, err
	}
	return &list, nil
}

func (r restSlices) Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	opts.Watch = true
	return r.rc.Get().Namespace(r.namespace).Resource("endpointslices").
		VersionedParams(&opts, metav1.ParameterCodec).Timeout(timeout(opts)).Watch(ctx)
}

// timeout is the client-side timeout a typed client sets from the
// server-side one, so a stalled request ends with the server's.
func timeout(opts metav1.ListOptions) time.Duration {
	if opts.TimeoutSeconds == nil {
		return 0
	}
	return time.Duration(*opts.TimeoutSeconds) * time.Second
}

// NewDiscovery starts watching the slices of service until ctx ends.
// selfIP (the pod's IP, from the Downward API) is left out of Peers;
// portName is the slice port that carries the relay's HTTPS port.
func NewDiscovery(ctx context.Context, slices Slices, service, selfIP, portName string) *Discovery {
	selector := discoveryv1.LabelServiceName + "=" + service
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = selector
			return slices.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = selector
			return slices.Watch(ctx, o)
		},
	}
	// The wrapper tells the reflector whether slices can stream its list
	// (a real API server can; client-go's fake cannot).
	inf := cache.NewSharedIndexInformer(cache.ToListWatcherWithWatchListSemantics(lw, slices), &discoveryv1.EndpointSlice{}, 0, cache.Indexers{})
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
