package agent

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/notify"
	"github.com/fig-injector/fig-injector/injector/rules"
)

// restartRetries is how often an HTTP restart call is repeated on a
// connection error or 5xx, as for notifications.
const restartRetries = 3

// newRestarter builds the restart action of fig.restart; nil when none is
// configured, and then the agent reports SupportsRestart false, so Fig's
// web UI offers no restart.
func newRestarter(r *config.Restart) (notify.Notifier, error) {
	switch {
	case r == nil:
		return nil, nil
	case r.Signal != nil:
		sig, err := rules.Signal(r.Signal.Name)
		if err != nil {
			return nil, fmt.Errorf("fig.restart.signal.name: %w", err)
		}
		return notify.Signal{Process: r.Signal.Process, Signal: sig}, nil
	default:
		h := notify.HTTP{URL: r.HTTP.URL, Retries: restartRetries}
		if err := h.Validate(); err != nil {
			return nil, fmt.Errorf("fig.restart.http.url: %w", err)
		}
		return h, nil
	}
}

// restartState is what the Fig poller and the restart goroutine share.
type restartState struct {
	// failed asks the poller to act on Fig's restartRequested again: Fig
	// keeps answering it for the session until a new one reports.
	failed atomic.Bool
}

// restartApp runs the restart action after the settings Fig asked the
// restart for are in place, then reports from a new run session, as the
// restarted process of a Fig.Client would: Fig answers restartRequested to
// the old session until it expires, and a new session is what ends the
// restart in Fig's UI (StatusService.cs, FigRestartWorker.cs). It runs on
// its own goroutine, so a slow restart endpoint never delays a write. A
// failed action keeps the session, and the next poll tries again.
func (a *Agent) restartApp(ctx context.Context) {
	err := a.restarter.Notify(ctx)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Error("Fig requested a restart, but the restart action failed; trying again at the next poll", "error", err.Error())
			a.fig.restart.failed.Store(true)
		}
		return
	}
	a.fig.client.NewRunSession()
	a.log.Info("application restarted as Fig requested; reporting from a new run session", "run_session", a.fig.client.RunSessionID())
}
