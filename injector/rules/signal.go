package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// maxSignal is the highest Linux signal number (SIGRTMAX).
const maxSignal = 64

// namedSignals are the signals accepted by name. Reload conventions use HUP,
// USR1 or USR2; TERM, INT and KILL make Kubernetes restart the container,
// which is the reload of last resort for apps that read config only at start.
var namedSignals = [...]struct {
	name string
	sig  syscall.Signal
}{
	{"HUP", syscall.SIGHUP},
	{"INT", syscall.SIGINT},
	{"QUIT", syscall.SIGQUIT},
	{"KILL", syscall.SIGKILL},
	{"USR1", syscall.SIGUSR1},
	{"USR2", syscall.SIGUSR2},
	{"ALRM", syscall.SIGALRM},
	{"TERM", syscall.SIGTERM},
	{"CONT", syscall.SIGCONT},
	{"WINCH", syscall.SIGWINCH},
}

// ReloadSignals are the notification signals an annotation may name: the
// ones an app can reasonably reload (or restart) on.
var ReloadSignals = []string{"SIGHUP", "SIGUSR1", "SIGUSR2", "SIGINT", "SIGTERM", "SIGQUIT"}

// RestartSignals are the signals that end a process by default, so the
// kubelet restarts its container: what a restart action may send.
var RestartSignals = []string{"SIGTERM", "SIGINT", "SIGQUIT", "SIGKILL"}

// Signal reads a signal as configs write it: "SIGHUP", "HUP" (any case)
// or a number such as "1".
func Signal(s string) (syscall.Signal, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	if n, err := strconv.Atoi(name); err == nil {
		if n < 1 || n > maxSignal {
			return 0, fmt.Errorf("parse signal %q: number out of range 1-%d", s, maxSignal)
		}
		return syscall.Signal(n), nil
	}
	name = strings.TrimPrefix(name, "SIG")
	for _, ns := range namedSignals {
		if ns.name == name {
			return ns.sig, nil
		}
	}
	return 0, fmt.Errorf("parse signal %q: unknown signal; use a name such as SIGHUP or SIGUSR1, or a number", s)
}

// ValidSignal reports whether sig is a signal number Signal could return.
func ValidSignal(sig syscall.Signal) bool { return sig > 0 && sig <= maxSignal }

// SignalName returns "SIGHUP" for syscall.SIGHUP, or "signal 35" for one
// without a name here.
func SignalName(sig syscall.Signal) string {
	for _, ns := range namedSignals {
		if ns.sig == sig {
			return "SIG" + ns.name
		}
	}
	return "signal " + strconv.Itoa(int(sig))
}

// EndsProcess reports whether name (as Signal reads it; "" is the default
// SIGTERM) is one of RestartSignals.
func EndsProcess(name string) bool {
	if strings.TrimSpace(name) == "" {
		return true
	}
	sig, err := Signal(name)
	return err == nil && slices.Contains(RestartSignals, SignalName(sig))
}
