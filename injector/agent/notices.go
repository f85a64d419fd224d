package agent

import (
	"context"
)

// Notifications run on a goroutine of their own, never on the run loop: an
// application whose reload endpoint hangs (HTTP notify retries 4 × 5 s)
// must not hold back the next write. At most one notification is in flight;
// requests made meanwhile collapse into one that runs after it, carrying
// the latest reason, because the app only needs to hear that the files are
// newer than when it last looked.

// notify asks for the application to be told why; it never blocks. The
// request waits for Run's notifier goroutine (startNotifier).
func (a *Agent) notify(_ context.Context, why string) {
	for {
		select {
		case a.notices <- why:
			return
		default:
		}
		select { // a request is pending: the latest reason replaces it
		case <-a.notices:
		default:
		}
	}
}

// startNotifier delivers requested notifications one at a time until ctx
// ends; the returned channel closes when it has stopped.
func (a *Agent) startNotifier(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case why := <-a.notices:
				a.deliver(ctx, why)
			}
		}
	}()
	return done
}

// deliver tells the application, and logs and counts the outcome.
func (a *Agent) deliver(ctx context.Context, why string) {
	err := a.notifier.Notify(ctx)
	a.opts.Metrics.ObserveNotify(err)
	if err != nil {
		a.log.Warn("could not notify the application", "reason", why, "error", err.Error())
		return
	}
	a.log.Info("application notified", "reason", why)
}
