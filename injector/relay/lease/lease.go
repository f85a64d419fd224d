// Package lease elects one relay replica through a coordination.k8s.io/v1
// Lease, with the semantics of client-go's tools/leaderelection (which the
// relay cannot link: its resourcelock package imports the typed clientset,
// whose scheme registers every API group and nearly doubles the binary;
// see kubeconfig.RESTClient). What it keeps from leaderelection:
//
//   - a candidate takes the Lease when it does not exist, has no holder,
//     or has not changed for the holder's leaseDurationSeconds as measured
//     on the candidate's own clock from when it last saw the record change
//     (observedTime), so no two clocks are ever compared;
//   - every write is an update of the resourceVersion read (optimistic
//     concurrency: of two candidates, the API server lets one win);
//   - the holder renews every RetryPeriod and gives leadership up when it
//     could not renew for RenewDeadline (shorter than LeaseDuration, so it
//     stops acting before anyone else may take over);
//   - on shutdown the holder releases the Lease (no holder, 1 s duration),
//     so another replica takes over at its next retry instead of waiting
//     out the lease.
package lease

import (
	"context"
	"log/slog"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fig-injector/fig-injector/injector/clock"
)

// Defaults, as Kubernetes' own controllers use them.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// API reads and writes the one Lease of an election (NewAPI over REST).
type API interface {
	Get(ctx context.Context) (*coordinationv1.Lease, error)
	Create(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error)
	Update(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error)
}

// Config configures an Elector.
type Config struct {
	API      API
	Identity string // this replica (its pod name); unique among candidates
	// LeaseDuration, RenewDeadline and RetryPeriod default to the
	// Default* values.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	Clock                                     clock.Clock // nil: real time
	Log                                       *slog.Logger
	// Lead runs while this replica holds the Lease; its ctx ends when it
	// stops holding it, and Run waits for it to return before trying again.
	Lead func(ctx context.Context)
	// Observed, if set, is called from Run's goroutine whenever Holder's
	// answer changes.
	Observed func(holder string)
}

// Elector runs one replica's side of the election.
type Elector struct {
	cfg Config

	mu           sync.Mutex
	observed     coordinationv1.LeaseSpec // last record seen or written
	observedRV   string
	observedTime time.Time
	lease        *coordinationv1.Lease // last object read or written (for its resourceVersion)
	lastHolder   string                // last value passed to Observed
}

// New returns an Elector; call Run.
func New(cfg Config) *Elector {
	if cfg.LeaseDuration <= 0 {
		cfg.LeaseDuration = DefaultLeaseDuration
	}
	if cfg.RenewDeadline <= 0 {
		cfg.RenewDeadline = DefaultRenewDeadline
	}
	if cfg.RetryPeriod <= 0 {
		cfg.RetryPeriod = DefaultRetryPeriod
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Elector{cfg: cfg}
}

// Holder returns the replica that holds the Lease as last observed, or ""
// when there is none or its lease has run out on this replica's clock.
func (e *Elector) Holder() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.holderLocked(e.cfg.Clock.Now())
}

func (e *Elector) holderLocked(now time.Time) string {
	h := deref(e.observed.HolderIdentity)
	if h == "" || !e.validLocked(now) {
		return ""
	}
	return h
}

func (e *Elector) validLocked(now time.Time) bool {
	d := time.Duration(deref(e.observed.LeaseDurationSeconds)) * time.Second
	return e.observedTime.Add(d).After(now)
}

// IsLeader reports whether this replica holds a valid Lease.
func (e *Elector) IsLeader() bool { return e.Holder() == e.cfg.Identity }

// Run campaigns until ctx ends: acquire, lead until the Lease is lost,
// again. On return it has released the Lease if it held it.
func (e *Elector) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if !e.acquire(ctx) {
			break
		}
		e.cfg.Log.Info("acquired the lease: this replica lists Key Vault for the cluster", "identity", e.cfg.Identity)
		lctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); e.cfg.Lead(lctx) }()
		e.renew(lctx)
		cancel()
		<-done
		e.notify() // after Lead returned: nothing it does can follow the news
		if ctx.Err() == nil {
			e.cfg.Log.Warn("lost the lease: another replica may list Key Vault now", "identity", e.cfg.Identity)
		}
	}
	e.release()
}

// acquire tries every RetryPeriod until it holds the Lease (true) or ctx
// ends (false).
func (e *Elector) acquire(ctx context.Context) bool {
	for {
		if e.tryAcquireOrRenew(ctx) {
			e.notify()
			return true
		}
		e.notify()
		if !e.wait(ctx, e.cfg.RetryPeriod) {
			return false
		}
	}
}

// renew renews every RetryPeriod until a renewal has failed for
// RenewDeadline or ctx ends.
func (e *Elector) renew(ctx context.Context) {
	last := e.cfg.Clock.Now()
	for e.wait(ctx, e.cfg.RetryPeriod) {
		if e.tryAcquireOrRenew(ctx) {
			last = e.cfg.Clock.Now()
			continue
		}
		if e.cfg.Clock.Now().Sub(last) >= e.cfg.RenewDeadline {
			e.mu.Lock()
			e.observed.HolderIdentity = nil // no longer ours as far as we know
			e.mu.Unlock()
			return
		}
	}
}

func (e *Elector) wait(ctx context.Context, d time.Duration) bool {
	c, stop := e.cfg.Clock.Timer(d)
	defer stop()
	select {
	case <-ctx.Done():
		return false
	case <-c:
		return true
	}
}

// notify calls Observed when the holder as seen from here changed.
func (e *Elector) notify() {
	h := e.Holder()
	e.mu.Lock()
	changed := h != e.lastHolder
	e.lastHolder = h
	e.mu.Unlock()
	if changed && e.cfg.Observed != nil {
		e.cfg.Observed(h)
	}
}

// tryAcquireOrRenew is leaderelection's function of that name: read (or
// create) the Lease, leave it alone while another holder's lease runs,
// else write ourselves in.
func (e *Elector) tryAcquireOrRenew(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.RenewDeadline)
	defer cancel()
	now := e.cfg.Clock.Now()
	want := coordinationv1.LeaseSpec{
		HolderIdentity:       ptr(e.cfg.Identity),
		LeaseDurationSeconds: ptr(int32(e.cfg.LeaseDuration / time.Second)),
		AcquireTime:          &metav1.MicroTime{Time: now},
		RenewTime:            &metav1.MicroTime{Time: now},
		LeaseTransitions:     ptr(int32(0)),
	}
	cur, err := e.cfg.API.Get(ctx)
	if apierrors.IsNotFound(err) {
		created, err := e.cfg.API.Create(ctx, &coordinationv1.Lease{Spec: want})
		if err != nil {
			e.cfg.Log.Debug("creating the lease failed", "error", err)
			return false
		}
		e.observe(created, now)
		return true
	}
	if err != nil {
		e.cfg.Log.Warn("reading the lease failed", "error", err)
		return false
	}
	e.mu.Lock()
	if cur.ResourceVersion != e.observedRV {
		e.observed, e.observedRV, e.observedTime = cur.Spec, cur.ResourceVersion, now
	}
	holder := deref(cur.Spec.HolderIdentity)
	ours := holder == e.cfg.Identity
	heldByOther := holder != "" && !ours && e.validLocked(now)
	e.mu.Unlock()
	if heldByOther {
		return false
	}
	if ours {
		want.AcquireTime, want.LeaseTransitions = cur.Spec.AcquireTime, cur.Spec.LeaseTransitions
	} else {
		want.LeaseTransitions = ptr(deref(cur.Spec.LeaseTransitions) + 1)
	}
	next := cur.DeepCopy()
	next.Spec = want
	updated, err := e.cfg.API.Update(ctx, next)
	if err != nil {
		// A conflict means another replica wrote first: it won.
		e.cfg.Log.Debug("updating the lease failed", "error", err)
		return false
	}
	e.observe(updated, now)
	return true
}

func (e *Elector) observe(l *coordinationv1.Lease, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lease, e.observed, e.observedRV, e.observedTime = l, l.Spec, l.ResourceVersion, now
}

// release gives the Lease up if this replica holds it, as leaderelection's
// ReleaseOnCancel does: no holder and a one-second duration.
func (e *Elector) release() {
	e.mu.Lock()
	l := e.lease
	ours := l != nil && deref(l.Spec.HolderIdentity) == e.cfg.Identity
	e.mu.Unlock()
	if !ours {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RenewDeadline)
	defer cancel()
	now := e.cfg.Clock.Now()
	next := l.DeepCopy()
	next.Spec = coordinationv1.LeaseSpec{LeaseDurationSeconds: ptr(int32(1)), LeaseTransitions: l.Spec.LeaseTransitions,
		AcquireTime: &metav1.MicroTime{Time: now}, RenewTime: &metav1.MicroTime{Time: now}}
	if _, err := e.cfg.API.Update(ctx, next); err != nil {
		e.cfg.Log.Warn("releasing the lease failed; another replica takes over once it runs out", "error", err)
		return
	}
	e.mu.Lock()
	e.lease, e.observed = nil, next.Spec
	e.mu.Unlock()
	e.cfg.Log.Info("released the lease", "identity", e.cfg.Identity)
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
