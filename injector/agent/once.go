package agent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/merge"
	"github.com/fig-injector/fig-injector/injector/output"
)

// RenderOnce loads every source and writes every output once, retrying
// failing sources with backoff until the configuration's initTimeout. It is
// init mode, and the first step of Run. The error, if any, is one line that
// names the source, the cause and the fix, with secrets and tokens blanked.
func (a *Agent) RenderOnce(ctx context.Context) (err error) {
	defer func() { err = a.redactor.Error(err) }()
	for _, t := range a.targets {
		// A crash mid-write may have left a temp file full of secrets.
		if n, err := output.RemoveTemps(t.out.Path); err == nil && n > 0 {
			a.log.Info("removed temp files left by an earlier crash", "output", t.out.Path, "count", n)
		}
	}
	// initTimeout is kept twice: on the agent's clock, so no retry is
	// waited for that would come after it, and as a deadline in real time
	// that also ends a request in flight.
	ctx, cancel := context.WithTimeout(ctx, a.cfg.InitTimeout.D())
	defer cancel()
	giveUpAt := a.opts.Clock.Now().Add(a.cfg.InitTimeout.D())
	started := false
	var lastErr error
	for failures := 1; ; failures++ {
		err := a.collect(ctx, &started)
		if err == nil {
			if _, err = a.render(ctx); err == nil {
				a.health.setReady()
				return nil
			}
			if !errors.Is(err, errUnresolved) || errors.Is(err, errRefused) {
				// A bad template, an unwritable file, a reference to a vault
				// outside the allowlist: retrying will not help.
				return OneLine(err)
			}
		}
		if ctx.Err() == nil || lastErr == nil {
			lastErr = err
		}
		wait := a.draw(func(r *rand.Rand) time.Duration { return a.sched.AfterFailure(failures, retryAfter(err, 0), r) })
		if !a.opts.Clock.Now().Add(wait).After(giveUpAt) {
			a.log.Warn("sources not ready; retrying", "error", err.Error(), "retry_in", wait.String())
			if ok, _ := a.sleep(ctx, wait, nil, nil); ok {
				continue
			}
		}
		return fmt.Errorf("gave up after %s (initTimeout): %w", a.cfg.InitTimeout.D(), OneLine(lastErr))
	}
}

// MergeOnce loads every source once, without retrying, and returns the
// merged entries (for the render command), as RenderOnce renders them.
func (a *Agent) MergeOnce(ctx context.Context) (merge.Result, error) {
	started := false
	if err := a.collect(ctx, &started); err != nil {
		return merge.Result{}, OneLine(err)
	}
	return a.merged()
}

// OneLine flattens joined errors into one line, for init mode's exit reason
// and the log.
func OneLine(err error) error {
	if err == nil {
		return nil
	}
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " | ")), " ")
	return &oneLineError{msg: msg, err: err}
}

type oneLineError struct {
	msg string
	err error
}

func (e *oneLineError) Error() string { return e.msg }
func (e *oneLineError) Unwrap() error { return e.err }
