package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// maxSubscription bounds a subscription body.
const maxSubscription = 64 << 10

// DefaultWriteTimeout bounds one write to a subscriber: a subscriber that
// stops reading is dropped instead of holding a goroutine for ever.
const DefaultWriteTimeout = 10 * time.Second

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
	err = s.stream(r.Context(), w, sub, allowed)
	s.log.Info("unsubscribed", "namespace", id.Namespace, "pod", id.Pod, "reason", reasonOf(err))
}

// stream writes the hello line, then wake-ups as they come, spaced by at
// least MinSpacing (what arrives meanwhile is merged by the hub), and a
// heartbeat after Heartbeat of silence.
func (s *Server) stream(ctx context.Context, w http.ResponseWriter, sub *hub.Subscription, allowed wire.Subscription) error {
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
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
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
