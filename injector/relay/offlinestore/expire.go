package offlinestore

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/fig-injector/fig-injector/injector/clock"
	"github.com/fig-injector/fig-injector/injector/inject"
)

// Expired is a copy Expire deleted.
type Expired struct {
	Key     Key
	Written time.Time // its last upload
}

// Expire deletes the copies last uploaded before cutoff: those of clients
// no running pod has uploaded for since (agents upload after a change and
// at least once a day, see the agent's offlineRefresh). It lists only the
// store's own labelled Secrets and deletes each only in the version it
// read, so an upload that lands meanwhile (on any replica) is kept. It
// returns what it deleted; an error ends the pass.
func (s *Store) Expire(ctx context.Context, cutoff time.Time) ([]Expired, error) {
	secrets, err := s.API.List(ctx, labels.SelectorFromSet(ownLabels).String())
	if err != nil {
		return nil, fmt.Errorf("list the offline copies' Secrets: %w", err)
	}
	var expired []Expired
	for i := range secrets {
		sec := &secrets[i]
		k := Key{Client: sec.Annotations[inject.ClientNameAnnotation], Instance: sec.Annotations[inject.InstanceAnnotation]}
		written := uploadedAt(sec)
		if sec.Name != SecretName(k) || !owns(sec, k) || !written.Before(cutoff) {
			continue
		}
		err := s.API.Delete(ctx, sec.Name, sec.ResourceVersion)
		switch {
		case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
			continue // another replica deleted it, or an upload renewed it
		case err != nil:
			return expired, fmt.Errorf("delete the expired offline copy's Secret %s: %w", sec.Name, err)
		}
		expired = append(expired, Expired{Key: k, Written: written})
	}
	return expired, nil
}

// uploadedAt is when sec was last uploaded: its UploadedAtAnnot, else
// (a copy from a relay before the annotation) the newest of its creation
// and its managed fields' update times.
func uploadedAt(sec *corev1.Secret) time.Time {
	if t, err := time.Parse(time.RFC3339, sec.Annotations[UploadedAtAnnot]); err == nil {
		return t
	}
	t := sec.CreationTimestamp.Time
	for _, f := range sec.ManagedFields {
		if f.Time != nil && f.Time.After(t) {
			t = f.Time.Time
		}
	}
	return t
}

// DefaultExpireEvery is how often Expiry sweeps.
const DefaultExpireEvery = time.Hour

// ExpiryMetrics counts the copies Expiry deleted (relay/metrics).
type ExpiryMetrics interface {
	OfflineCopiesExpired(n int)
}

// Expiry deletes, at start and then every Every, the copies not uploaded
// for Retention: copies of clients that are gone would otherwise stay in
// the namespace for ever.
type Expiry struct {
	Store     *Store
	Retention time.Duration
	Every     time.Duration // 0: DefaultExpireEvery
	Clock     clock.Clock   // nil: real time
	Metrics   ExpiryMetrics
	Log       *slog.Logger
}

// Run sweeps until ctx ends. A failed sweep is logged and tried again at
// the next one: nothing depends on it but the namespace's tidiness.
func (e *Expiry) Run(ctx context.Context) {
	c := e.Clock
	if c == nil {
		c = clock.Real{}
	}
	every := e.Every
	if every <= 0 {
		every = DefaultExpireEvery
	}
	for {
		e.sweep(ctx, c.Now())
		timer, stop := c.Timer(every)
		select {
		case <-ctx.Done():
			stop()
			return
		case <-timer:
		}
	}
}

func (e *Expiry) sweep(ctx context.Context, now time.Time) {
	expired, err := e.Store.Expire(ctx, now.Add(-e.Retention))
	for _, x := range expired {
		e.Log.Info("offline copy expired: not uploaded for longer than the retention; deleted",
			"client", x.Key.Client, "instance", x.Key.Instance, "uploaded", x.Written.UTC().Format(time.RFC3339),
			"retention", e.Retention.String())
	}
	if len(expired) > 0 {
		e.Metrics.OfflineCopiesExpired(len(expired))
	}
	if err != nil && ctx.Err() == nil {
		e.Log.Warn("sweeping expired offline copies failed; trying again at the next sweep", "error", err.Error())
	}
}
