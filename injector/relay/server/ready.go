package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Readiness is what /readyz reports: whether this replica can serve
// subscribers now. That takes a valid serving certificate and an API
// server that answers TokenReviews (every subscription needs one); Fig
// and Key Vault do not count: without them the relay still serves, and
// agents poll on their own. An unready replica leaves the Service (and its
// peers' forwards), so new subscriptions go to a replica that can accept
// them; open streams are not cut.
type Readiness struct {
	// Certificate returns the serving certificate (certreload's
	// GetCertificate).
	Certificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	// Review makes one TokenReview whose answer does not matter, only that
	// there is one (auth.Kubernetes.Probe).
	Review func(ctx context.Context) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	lastTry   time.Time
	lastOK    time.Time
	lastError error
}

// Readiness timings: the API server is asked at most every probeEvery;
// a replica turns unready once it has had no answer for apiGrace, so a
// blip (an API server restart) does not empty the Service.
const (
	probeEvery    = 10 * time.Second
	apiGrace      = 30 * time.Second
	reviewTimeout = 5 * time.Second
)

// Check returns nil when ready, else the reason.
func (r *Readiness) Check(ctx context.Context) error {
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	if err := r.checkCertificate(now); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastTry.IsZero() || now.Sub(r.lastTry) >= probeEvery {
		r.lastTry = now
		ctx, cancel := context.WithTimeout(ctx, reviewTimeout)
		err := r.Review(ctx)
		cancel()
		if err == nil {
			r.lastOK = now
		}
		r.lastError = err
	}
	if r.lastOK.IsZero() || now.Sub(r.lastOK) > apiGrace {
		return fmt.Errorf("cannot verify subscribers: no TokenReview answered by the API server %s: %v", since(r.lastOK, now), r.lastError)
	}
	return nil
}

func since(t, now time.Time) string {
	if t.IsZero() {
		return "since the start"
	}
	return "for " + now.Sub(t).Round(time.Second).String()
}

func (r *Readiness) checkCertificate(now time.Time) error {
	cert, err := r.Certificate(nil)
	if err != nil {
		return fmt.Errorf("no serving certificate: %w", err)
	}
	leaf := cert.Leaf
	if leaf == nil && len(cert.Certificate) > 0 {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return fmt.Errorf("serving certificate unreadable: %w", err)
		}
	}
	switch {
	case leaf == nil:
		return errors.New("serving certificate is empty")
	case now.After(leaf.NotAfter):
		return fmt.Errorf("serving certificate expired at %s; fix: renew the relay's TLS Secret (it is re-read without a restart)", leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return fmt.Errorf("serving certificate not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}
