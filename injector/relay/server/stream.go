package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/auth"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// maxSubscription bounds a subscription body.
const maxSubscription = 64 << 10

// DefaultWriteTimeout bounds one write to a subscriber: a subscriber that
// stops reading is dropped instead of holding a goroutine for ever.
const DefaultWriteTimeout = 10 * time.Second

// DefaultReauthorize is how often an open stream is authorised again with
// the token it was opened with: a TokenReview and a read of the pod, one
// per subscriber per interval (1,000 subscribers: about 3 a second). A pod
// that is deleted normally closes its connection at once; this bounds the
// stream of one that does not (a force-deleted pod on an unreachable node,
// a half-open connection), and ends a stream whose token has expired (the
// agent reconnects with the token the kubelet rotated) or whose pod's
// configuration no longer allows what it was given.
const DefaultReauthorize = 5 * time.Minute

// reauthorizeTimeout bounds one check, so a slow API server delays a
// heartbeat by at most this (well within the subscriber's read timeout).
const reauthorizeTimeout = 10 * time.Second

// errRevoked ends a stream whose authorisation no longer holds.
var errRevoked = errors.New("authorisation revoked")

// serveSubscribe authenticates and authorises a subscriber, then streams
// its wake-ups until it leaves or the server stops (wire's protocol).
func (s *Server) serveSubscribe(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var want wire.Subscription
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSubscription))
	if err != nil || json.Unmarshal(body, &want) != nil {
		http.Error(w, "body is not a subscription (JSON, at most 64 KiB)", http.StatusBadRequest)
		return
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	id, allowed, err := s.opts.Authorizer.Authorize(r.Context(), strings.TrimSpace(token), want)
	if err != nil {
		status := refusalStatus(err)
		s.log.Warn("subscription refused", "status", status, "namespace", id.Namespace, "pod", id.Pod, "reason", err.Error())
		s.count("refused")
		http.Error(w, err.Error(), status)
		return
	}
	sub := s.opts.Hub.Subscribe(allowed)
	defer sub.Close()
	s.count("accepted")
	s.log.Info("subscribed", "namespace", id.Namespace, "pod", id.Pod, "client", allowed.Client, "instance", allowed.Instance, "vaults", len(allowed.Vaults))
	recheck := func(ctx context.Context) error { return s.reauthorize(ctx, token, want, allowed) }
	err = s.stream(r.Context(), w, sub, allowed, recheck)
	s.log.Info("unsubscribed", "namespace", id.Namespace, "pod", id.Pod, "reason", reasonOf(err))
}

// stream writes the hello line, then wake-ups as they come, spaced by at
// least MinSpacing (what arrives meanwhile is merged by the hub), and a
// heartbeat after Heartbeat of silence. Every Reauthorize (±20 %) recheck
// runs; an error ends the stream.
func (s *Server) stream(ctx context.Context, w http.ResponseWriter, sub *hub.Subscription, allowed wire.Subscription, recheck func(context.Context) error) error {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", wire.ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	send := func(evs ...wire.Event) error {
		_ = rc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
		// Cleared after the write: HTTP/2 resets a stream whose deadline
		// passes even while nothing is written (between heartbeats).
		defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
		for _, ev := range evs {
			if err := enc.Encode(ev); err != nil {
				return err
			}
		}
		return rc.Flush()
	}
	if err := send(wire.Event{Type: wire.TypeHello, Client: allowed.Client, Instance: allowed.Instance, Vaults: allowed.Vaults}); err != nil {
		return err
	}
	heartbeat := time.NewTimer(s.opts.Heartbeat)
	defer heartbeat.Stop()
	reauth := time.NewTimer(spread(s.opts.Reauthorize))
	defer reauth.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-reauth.C:
			if err := recheck(ctx); err != nil {
				return err
			}
			reauth.Reset(spread(s.opts.Reauthorize))
			continue
		case <-heartbeat.C:
			if err := send(wire.Event{Type: wire.TypeHeartbeat}); err != nil {
				return err
			}
		case <-sub.Ready():
			evs := sub.Take()
			if len(evs) == 0 {
				continue
			}
			if err := send(evs...); err != nil {
				return err
			}
			s.opts.Metrics.Delivered(len(evs))
			if err := sleep(ctx, s.opts.MinSpacing); err != nil {
				return err
			}
		}
		heartbeat.Reset(s.opts.Heartbeat)
	}
}

// reauthorize checks an open stream's token and pod again: a refusal
// (the pod is gone or replaced, the token expired, its configuration no
// longer allows the client) or a narrower subscription than the stream was
// given revokes it; the subscriber reconnects and is authorised afresh. An
// API server that cannot answer revokes nothing: the stream was allowed,
// and an outage must not disconnect every agent.
func (s *Server) reauthorize(ctx context.Context, token string, want, allowed wire.Subscription) error {
	ctx, cancel := context.WithTimeout(ctx, reauthorizeTimeout)
	defer cancel()
	id, got, err := s.opts.Authorizer.Authorize(ctx, token, want)
	switch {
	case errors.Is(err, auth.ErrUnauthenticated) || errors.Is(err, auth.ErrForbidden):
		s.log.Info("subscription revoked", "namespace", id.Namespace, "pod", id.Pod, "reason", err.Error())
		return fmt.Errorf("%w: %v", errRevoked, err)
	case err != nil:
		s.log.Warn("subscription not re-authorised; keeping it", "namespace", id.Namespace, "pod", id.Pod, "error", err.Error())
		return nil
	case !slices.Equal(got.Vaults, allowed.Vaults) || got.Client != allowed.Client || got.Instance != allowed.Instance:
		s.log.Info("subscription revoked: the pod's configuration allows another subscription now", "namespace", id.Namespace, "pod", id.Pod)
		return fmt.Errorf("%w: the pod's configuration changed", errRevoked)
	}
	return nil
}

// spread draws d ±20 %, so the checks of streams opened together (after
// a relay restart) do not all fall in the same second.
func spread(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func reasonOf(err error) string {
	if errors.Is(err, context.Canceled) {
		return "closed"
	}
	if err == nil {
		return "done"
	}
	return err.Error()
}
