package lease

import (
	"context"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/client-go/rest"

	"github.com/fig-injector/fig-injector/injector/kubeconfig"
)

// NewAPI returns the API of the Lease namespace/name on the API server of
// cfg (RBAC: get, create and update on leases in namespace).
func NewAPI(cfg *rest.Config, namespace, name string) (API, error) {
	rc, err := kubeconfig.RESTClient(cfg, coordinationv1.SchemeGroupVersion, coordinationv1.AddToScheme)
	if err != nil {
		return nil, err
	}
	return restAPI{rc: rc, namespace: namespace, name: name}, nil
}

// restAPI is API over a coordination/v1 REST client (no typed client:
// binary size, see the package comment).
type restAPI struct {
	rc              rest.Interface
	namespace, name string
}

func (a restAPI) Get(ctx context.Context) (*coordinationv1.Lease, error) {
	var l coordinationv1.Lease
	if err := a.rc.Get().Namespace(a.namespace).Resource("leases").Name(a.name).Do(ctx).Into(&l); err != nil {
		return nil, err
	}
	return &l, nil
}

func (a restAPI) Create(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	l = l.DeepCopy()
	l.Name, l.Namespace = a.name, a.namespace
	var out coordinationv1.Lease
	if err := a.rc.Post().Namespace(a.namespace).Resource("leases").Body(l).Do(ctx).Into(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (a restAPI) Update(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	var out coordinationv1.Lease
	if err := a.rc.Put().Namespace(a.namespace).Resource("leases").Name(a.name).Body(l).Do(ctx).Into(&out); err != nil {
		return nil, err
	}
	return &out, nil
}
