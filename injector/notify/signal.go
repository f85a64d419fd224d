package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/fig-injector/fig-injector/injector/rules"
)

// ErrNoProcess is wrapped by Signal.Notify when no process has the name.
var ErrNoProcess = errors.New("no such process")

// Signal sends a signal to the application's process, found by name.
//
// The agent can see the application's processes only if the pod sets
// shareProcessNamespace: true; without it the only processes in /proc are
// the agent's own, and Notify fails with ErrNoProcess. The kernel lets a
// process signal another only with the same user ID (or CAP_KILL, which the
// restricted Pod Security profile forbids), so the agent must run as the
// application's user.
type Signal struct {
	// Process is the name to look for: the executable's base name as the
	// kernel records it (/proc/<pid>/stat, at most 15 bytes) or the base name
	// of argv[0] (/proc/<pid>/cmdline), e.g. "dotnet" or "nginx".
	Process string
	// Signal is what to send, e.g. syscall.SIGHUP (see rules.Signal).
	Signal syscall.Signal
}

// Notify sends the signal to every process named Process whose parent is
// not also named Process (a master, not its workers). It never signals the
// agent itself. PID 1 of the namespace (the pod's pause process, or the app
// when it is PID 1) gets the signal only if its name matches like any other.
func (s Signal) Notify(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.Process == "" {
		return errors.New("signal: no process name set")
	}
	if !rules.ValidSignal(s.Signal) {
		return fmt.Errorf("signal %q: invalid signal %d", s.Process, int(s.Signal))
	}
	procs, err := readProcesses("/proc")
	if err != nil {
		return fmt.Errorf("signal %q: %w", s.Process, err)
	}
	var errs []error
	sent := 0
	for _, pid := range targets(procs, s.Process, os.Getpid()) {
		switch err := syscall.Kill(pid, s.Signal); {
		case err == nil:
			sent++
		case errors.Is(err, syscall.ESRCH):
			// Exited since /proc was read: nothing left to tell.
		case errors.Is(err, syscall.EPERM):
			errs = append(errs, fmt.Errorf("send %s to %q (pid %d): %w; run the agent as the application's user",
				rules.SignalName(s.Signal), s.Process, pid, err))
		default:
			errs = append(errs, fmt.Errorf("send %s to %q (pid %d): %w", rules.SignalName(s.Signal), s.Process, pid, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if sent == 0 {
		return fmt.Errorf("send %s to %q: %w (the pod needs shareProcessNamespace: true)",
			rules.SignalName(s.Signal), s.Process, ErrNoProcess)
	}
	return nil
}
