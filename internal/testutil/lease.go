package testutil

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// LeaseStore is one coordination.k8s.io Lease as the API server keeps it:
// a resourceVersion per write and a conflict for an update of a stale one.
// Each replica reaches it through its own LeaseClient (relay/lease.API).
type LeaseStore struct {
	mu    sync.Mutex
	lease *coordinationv1.Lease
	rv    int
}

// LeaseClient is one replica's view of a LeaseStore; Down cuts it off (a
// partition, or a process that stopped renewing without releasing).
type LeaseClient struct {
	Store *LeaseStore
	Down  atomic.Bool
}

var leaseResource = schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}

// ErrLeaseDown is what a LeaseClient answers while Down.
var ErrLeaseDown = errors.New("connection refused")

// Get returns the Lease or a NotFound error.
func (c *LeaseClient) Get(context.Context) (*coordinationv1.Lease, error) {
	if c.Down.Load() {
		return nil, ErrLeaseDown
	}
	s := c.Store
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lease == nil {
		return nil, apierrors.NewNotFound(leaseResource, "relay")
	}
	return s.lease.DeepCopy(), nil
}

// Create stores l unless a Lease exists.
func (c *LeaseClient) Create(_ context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	if c.Down.Load() {
		return nil, ErrLeaseDown
	}
	s := c.Store
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lease != nil {
		return nil, apierrors.NewAlreadyExists(leaseResource, "relay")
	}
	return s.put(l), nil
}

// Update stores l if it carries the current resourceVersion.
func (c *LeaseClient) Update(_ context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	if c.Down.Load() {
		return nil, ErrLeaseDown
	}
	s := c.Store
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lease == nil || l.ResourceVersion != s.lease.ResourceVersion {
		return nil, apierrors.NewConflict(leaseResource, "relay", errors.New("the object has been modified"))
	}
	return s.put(l), nil
}

func (s *LeaseStore) put(l *coordinationv1.Lease) *coordinationv1.Lease {
	s.rv++
	s.lease = l.DeepCopy()
	s.lease.ResourceVersion = strconv.Itoa(s.rv)
	return s.lease.DeepCopy()
}
