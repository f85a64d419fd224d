package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/internal/testutil"
)

// TestDemo runs `fig-injector dev --demo`, the README's first command, as a
// newcomer does (the real binary, which starts its agent as a child process)
// and watches its output: the merged file appears, then, after the demo's
// own change in Fig and Key Vault, appears again with both new values.
// SIGINT (Ctrl-C) stops everything cleanly.
//
// The change arrives by push: the agent's Fig poll interval is an hour, and
// its Key Vault poll is stretched tenfold while the relay watches the vault,
// so only Fig's web hook through the in-process relay (and the relay's list
// pass) can bring the new values within the test's wait; the demo prints
// how long each took.
func TestDemo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "fig-injector")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var out, errOut testutil.Buffer
	// A relative --dir, as `make demo` runs it: every path agent.yaml names must still be absolute.
	cmd := exec.Command(bin, "dev", "--demo", "--dir", "demo",
		"--fig-port=0", "--entra-port=0", "--vault-port=0", "--relay-port=0", "--agent-listen=127.0.0.1:0", "--fig-poll-interval=1h")
	cmd.Dir = t.TempDir()
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = 5 * time.Second // the demo's agent shares the pipes; never wait on them for ever
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	await := func(what string, cond func(string) bool) {
		t.Helper()
		testutil.Eventually(t, what, 60*time.Second, func() bool {
			select {
			case err := <-exited:
				t.Fatalf("the demo exited (%v) before %s:\n%s\n%s", err, what, out.String(), errOut.String())
			default:
			}
			return cond(out.String())
		})
	}
	await("first file", func(s string) bool {
		return strings.Contains(s, `"Location": "Amsterdam"`) && strings.Contains(s, `"PaymentApiKey": "dev-api-key-0001"`)
	})
	await("the changed file", func(s string) bool {
		i := strings.Index(s, "The demo changed Location")
		return i >= 0 && strings.Contains(s[i:], `"Location": "Utrecht"`) && strings.Contains(s[i:], `"PaymentApiKey": "dev-api-key-0002"`)
	})
	await("the Fig change's arrival time", func(s string) bool { return pushed.MatchString(s) })
	if m := pushed.FindStringSubmatch(out.String()); m != nil {
		if took, err := time.ParseDuration(m[1]); err != nil || took >= time.Second {
			t.Errorf("Fig change → file took %s (%v), want well under a second by push", m[1], err)
		}
	}
	if !strings.Contains(errOut.String(), "subscribed to the relay") {
		t.Errorf("the agent never subscribed to the relay:\n%s", errOut.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the demo exited with %v after Ctrl-C:\n%s", err, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not stop within 30 s of Ctrl-C")
	}
	if !strings.Contains(out.String(), "Stopping the relay.\nStopping the emulators.") {
		t.Errorf("no clean stop:\n%s", out.String())
	}
}

// pushed is the demo's line on the Fig change's arrival.
var pushed = regexp.MustCompile(`Fig change → file: (\S+) \(Fig's web hook → relay`)
