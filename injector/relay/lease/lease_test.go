package lease_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/lease"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// terms records who led when, on the fake clock.
type terms struct {
	mu     sync.Mutex
	clock  *testutil.Clock
	active map[string]bool
	starts map[string][]time.Time
	ends   map[string][]time.Time
	both   bool // two replicas led at once
}

func (tr *terms) lead(id string) func(ctx context.Context) {
	return func(ctx context.Context) {
		tr.mu.Lock()
		tr.starts[id] = append(tr.starts[id], tr.clock.Now())
		for other, on := range tr.active {
			if on && other != id {
				tr.both = true
			}
		}
		tr.active[id] = true
		tr.mu.Unlock()
		<-ctx.Done()
		tr.mu.Lock()
		tr.active[id] = false
		tr.ends[id] = append(tr.ends[id], tr.clock.Now())
		tr.mu.Unlock()
	}
}

func (tr *terms) count(id string) (starts, ends int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.starts[id]), len(tr.ends[id])
}

// TestOneLeaderTakeoverAndRelease: of two replicas one leads; when it
// stops renewing (cut off from the API server) it steps down after the
// renew deadline and the other takes over within one lease duration (plus
// one retry), never both at once; a replica that shuts down releases the
// Lease, and the other takes over at its next retry.
func TestOneLeaderTakeoverAndRelease(t *testing.T) {
	clock := testutil.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.AutoAdvance(t, time.Millisecond, 50*time.Millisecond)
	tr := &terms{clock: clock, active: map[string]bool{}, starts: map[string][]time.Time{}, ends: map[string][]time.Time{}}
	s := &testutil.LeaseStore{}
	apiA, apiB := &testutil.LeaseClient{Store: s}, &testutil.LeaseClient{Store: s}
	var observedByB atomic.Value
	observedByB.Store("")
	elector := func(id string, a *testutil.LeaseClient, observed func(string)) *lease.Elector {
		return lease.New(lease.Config{API: a, Identity: id, Clock: clock, Lead: tr.lead(id), Observed: observed})
	}
	a := elector("relay-a", apiA, nil)
	b := elector("relay-b", apiB, func(h string) { observedByB.Store(h) })

	ctxA, stopA := context.WithCancel(context.Background())
	doneA := make(chan struct{})
	go func() { defer close(doneA); a.Run(ctxA) }()
	defer func() { stopA(); <-doneA }()
	testutil.Eventually(t, "relay-a leads", 10*time.Second, a.IsLeader)
	ctxB, stopB := context.WithCancel(context.Background())
	doneB := make(chan struct{})
	go func() { defer close(doneB); b.Run(ctxB) }()
	defer func() { stopB(); <-doneB }()
	testutil.Eventually(t, "relay-b sees relay-a hold the lease", 10*time.Second, func() bool { return observedByB.Load() == "relay-a" })
	testutil.Never(t, "relay-b leading while relay-a renews", 200*time.Millisecond, b.IsLeader) // ~10 s of lease time

	cutAt := clock.Now()
	apiA.Down.Store(true)
	testutil.Eventually(t, "relay-b takes over", 20*time.Second, func() bool { n, _ := tr.count("relay-b"); return n == 1 })
	tr.mu.Lock()
	stepDown, takeover := tr.ends["relay-a"][0].Sub(cutAt), tr.starts["relay-b"][0].Sub(cutAt)
	both := tr.both
	tr.mu.Unlock()
	if both {
		t.Error("both replicas led at once")
	}
	if stepDown > lease.DefaultRenewDeadline+lease.DefaultRetryPeriod+time.Second {
		t.Errorf("relay-a stepped down %s after it was cut off, want within the renew deadline (%s) and a retry", stepDown, lease.DefaultRenewDeadline)
	}
	if takeover > lease.DefaultLeaseDuration+lease.DefaultRetryPeriod+time.Second {
		t.Errorf("relay-b took over %s after relay-a was cut off, want within one lease duration (%s) and a retry", takeover, lease.DefaultLeaseDuration)
	}
	if a.IsLeader() {
		t.Error("relay-a still thinks it leads")
	}

	apiA.Down.Store(false)
	testutil.Never(t, "relay-a taking the lease back while relay-b renews", 200*time.Millisecond, a.IsLeader)
	releasedAt := clock.Now()
	stopB()
	<-doneB
	testutil.Eventually(t, "relay-a takes over after relay-b released", 20*time.Second, func() bool { n, _ := tr.count("relay-a"); return n == 2 })
	tr.mu.Lock()
	again := tr.starts["relay-a"][1].Sub(releasedAt)
	tr.mu.Unlock()
	if again > lease.DefaultRetryPeriod+time.Second {
		t.Errorf("relay-a took over %s after the release, want within one retry (%s)", again, lease.DefaultRetryPeriod)
	}
}
