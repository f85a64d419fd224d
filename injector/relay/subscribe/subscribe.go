// Package subscribe is the agent's client of the relay: one long-lived
// HTTPS connection (wire's protocol) that delivers wake-ups for the agent's
// own Fig client and vaults, reconnecting with jittered exponential backoff.
// It imports only the standard library and relay/wire, so the agent image
// stays small.
//
// Contract: Run blocks until ctx ends. OnState(true) is called when a
// stream is open (after the relay's hello), OnState(false, err) when it is
// lost or refused: while not connected the agent polls every source itself,
// exactly as without a relay. OnEvent gets every event but heartbeats, on
// Run's goroutine, in order; it must not block for long (a slow callback
// delays the stream, and the relay drops a subscriber that stops reading).
package subscribe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// Options configure Run.
type Options struct {
	// URL is the relay's base URL, e.g. https://fig-injector-relay.fig-injector.svc:8443.
	URL string
	// TokenFile is the projected service-account token for the relay's
	// audience; it is re-read at every connection (the kubelet rotates it).
	TokenFile    string
	Subscription wire.Subscription
	// Update, if set, replaces the subscription: the open stream is closed
	// and a new one opened at once with the new subscription (the agent
	// learns of vaults from Fig values after it subscribed). No OnState
	// (false) is reported for that switch.
	Update <-chan wire.Subscription
	// HTTPClient must trust the relay's certificate and have no overall
	// Timeout (the stream lives for hours); nil means http.DefaultClient.
	HTTPClient *http.Client
	// MinBackoff and MaxBackoff bound the wait between attempts; defaults
	// 1 s and 1 min. A refusal (401, 403) waits MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// ReadTimeout is how long a silent stream is trusted; default
	// wire.ReadTimeout.
	ReadTimeout time.Duration
	OnEvent     func(wire.Event)
	OnState     func(connected bool, err error)
	Log         *slog.Logger
}

// RefusedError is a relay's refusal: the status and its one-line reason.
type RefusedError struct {
	Status int
	Reason string
	What   string // what was refused; "" is the subscription
}

func (e *RefusedError) Error() string {
	what := e.What
	if what == "" {
		what = "the subscription"
	}
	return fmt.Sprintf("relay refused %s: %d %s", what, e.Status, e.Reason)
}

// Run subscribes and keeps the subscription until ctx ends.
func Run(ctx context.Context, opts Options) error {
	opts = withDefaults(opts)
	wait := opts.MinBackoff
	for {
		hello, updated, err := onceOrUpdate(ctx, opts)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if updated != nil {
			opts.Subscription = *updated
			opts.Log.Info("subscription changed; resubscribing", "vaults", len(updated.Vaults))
			continue
		}
		opts.OnState(false, err)
		var refused *RefusedError
		switch {
		case hello:
			wait = opts.MinBackoff // a stream ran: start over
		case errors.As(err, &refused) && refused.Status < 500:
			wait = opts.MaxBackoff
		}
		opts.Log.Info("relay connection lost; polling on our own until it is back", "error", err, "retry_in", wait)
		updated, err = sleepOrUpdate(ctx, jitter(wait), opts.Update)
		if err != nil {
			return err
		}
		if updated != nil {
			opts.Subscription = *updated // the next attempt carries it
		}
		if !hello {
			wait = min(2*wait, opts.MaxBackoff)
		}
	}
}

func withDefaults(o Options) Options {
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(time.Minute, o.MinBackoff)
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = wire.ReadTimeout
	}
	if o.OnEvent == nil {
		o.OnEvent = func(wire.Event) {}
	}
	if o.OnState == nil {
		o.OnState = func(bool, error) {}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// onceOrUpdate runs one connection, ended early by a new subscription on
// opts.Update (returned as updated).
func onceOrUpdate(ctx context.Context, opts Options) (hello bool, updated *wire.Subscription, err error) {
	if opts.Update == nil {
		hello, err = once(ctx, opts)
		return hello, nil, err
	}
	connCtx, cancel := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case s := <-opts.Update:
			updated = &s
			cancel()
		case <-connCtx.Done():
		}
	}()
	hello, err = once(connCtx, opts)
	cancel()
	<-watched
	return hello, updated, err
}

// sleepOrUpdate waits d, or less when a new subscription arrives.
func sleepOrUpdate(ctx context.Context, d time.Duration, update <-chan wire.Subscription) (*wire.Subscription, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, nil
	case s := <-update:
		return &s, nil
	}
}

// once runs one connection; hello reports whether the relay accepted it.
func once(ctx context.Context, opts Options) (hello bool, err error) {
	token, err := os.ReadFile(opts.TokenFile)
	if err != nil {
		return false, fmt.Errorf("relay token: %w", err)
	}
	body, _ := json.Marshal(opts.Subscription)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(opts.URL, "/")+wire.SubscribePath, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", wire.ContentType)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	// A silent stream (no line for ReadTimeout) is a dead one.
	errSilent := errors.New("no heartbeat from the relay")
	watchdog := time.AfterFunc(opts.ReadTimeout, func() { cancel(errSilent) })
	defer watchdog.Stop()
	resp, err := opts.HTTPClient.Do(req)
	if err != nil {
		return false, cause(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		reason, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return false, &RefusedError{Status: resp.StatusCode, Reason: strings.TrimSpace(string(reason))}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		watchdog.Reset(opts.ReadTimeout)
		var ev wire.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return hello, fmt.Errorf("relay sent a line that is not an event: %w", err)
		}
		switch ev.Type {
		case wire.TypeHeartbeat:
		case wire.TypeHello:
			hello = true
			opts.OnState(true, nil)
			opts.OnEvent(ev)
		default:
			opts.OnEvent(ev)
		}
	}
	if err := sc.Err(); err != nil {
		return hello, cause(ctx, err)
	}
	return hello, errors.New("relay closed the stream")
}

// cause prefers the reason the context was cancelled for (the watchdog).
func cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		return c
	}
	return err
}

// jitter spreads reconnections of a fleet over ±20 % of d, so a relay
// restart is not met by every agent in the same instant.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
