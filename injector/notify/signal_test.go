package notify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const deadline = 10 * time.Second

func TestSignalReachesARealProcessOncePerNotify(t *testing.T) {
	name, lines, stdin, wait := startChild(t)
	expectLine(t, lines, "ready")

	s := Signal{Process: name, Signal: syscall.SIGHUP}
	const notifies = 3
	for i := range notifies {
		if err := s.Notify(t.Context()); err != nil {
			t.Fatalf("Notify %d: %v", i+1, err)
		}
		expectLine(t, lines, "hup")
	}
	// The child counts what it received; extra signals would show here.
	if err := stdin.Close(); err != nil {
		t.Fatal(err)
	}
	expectLine(t, lines, fmt.Sprintf("bye %d", notifies))
	if err := wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
}

func TestSignalNoProcessNamesIt(t *testing.T) {
	s := Signal{Process: "fig-no-such-app", Signal: syscall.SIGHUP}
	err := s.Notify(t.Context())
	if !errors.Is(err, ErrNoProcess) || !strings.Contains(err.Error(), `"fig-no-such-app"`) {
		t.Fatalf("Notify = %v, want ErrNoProcess naming the process", err)
	}
}

func TestSignalNeverSignalsItself(t *testing.T) {
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	// If self were not excluded the signal would arrive here, not kill us.
	caught := make(chan os.Signal, 1)
	signal.Notify(caught, syscall.SIGUSR1)
	defer signal.Stop(caught)

	s := Signal{Process: strings.TrimSpace(string(comm)), Signal: syscall.SIGUSR1}
	if err := s.Notify(t.Context()); !errors.Is(err, ErrNoProcess) {
		t.Fatalf("Notify to our own name = %v, want ErrNoProcess", err)
	}
}

func TestSignalInvalid(t *testing.T) {
	tests := []struct {
		name string
		s    Signal
	}{
		{"no process", Signal{Signal: syscall.SIGHUP}},
		{"no signal", Signal{Process: "dotnet"}},
		{"signal out of range", Signal{Process: "dotnet", Signal: 65}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Notify(t.Context()); err == nil || errors.Is(err, ErrNoProcess) {
				t.Errorf("Notify = %v, want a validation error", err)
			}
		})
	}
}

func TestSignalStopsOnCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s := Signal{Process: "dotnet", Signal: syscall.SIGHUP}
	if err := s.Notify(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Notify = %v, want context.Canceled", err)
	}
}

// startChild runs this test binary as the helper of TestMain under a unique
// name (a symlink, so the kernel's comm and argv[0] are that name). It
// returns the name, the child's output lines, its stdin and a wait function.
func startChild(t *testing.T) (name string, lines <-chan string, stdin interface{ Close() error }, wait func() error) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name = fmt.Sprintf("fighup%d", os.Getpid()) // ≤ 15 bytes, so comm holds all of it
	link := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(self, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 16)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		defer close(ch)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	waited := false
	wait = func() error {
		waited = true
		<-scanned // Wait closes stdout; read everything first
		return cmd.Wait()
	}
	t.Cleanup(func() {
		if !waited {
			_ = cmd.Process.Kill()
			_ = wait()
		}
	})
	return name, ch, in, wait
}

func expectLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	select {
	case got, ok := <-lines:
		if !ok {
			t.Fatalf("child exited; want line %q", want)
		}
		if got != want {
			t.Fatalf("child said %q, want %q", got, want)
		}
	case <-time.After(deadline):
		t.Fatalf("child did not say %q within %v", want, deadline)
	}
}
