package notify

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// childEnv switches the test binary into a helper process that reports the
// SIGHUPs it receives, so Signal is tested against a real process.
const childEnv = "FIG_INJECTOR_NOTIFY_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// runChild prints "ready" once SIGHUP is caught, "hup" for each SIGHUP, and
// "bye N" when stdin closes.
func runChild() int {
	hups := make(chan os.Signal, 16)
	signal.Notify(hups, syscall.SIGHUP)
	out := bufio.NewWriter(os.Stdout)
	say := func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
		_ = out.Flush()
	}
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	say("ready")
	n := 0
	for {
		select {
		case <-hups:
			n++
			say("hup")
		case <-stdinClosed:
			say("bye %d", n)
			return 0
		}
	}
}
