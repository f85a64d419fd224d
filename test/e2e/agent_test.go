//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/test/e2e/azurewi"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// agentBinary builds cmd/fig-injector once as the agent image does (the
// agentonly tag; or uses $E2E_AGENT_BINARY) and checks that `fig-injector
// agent --help` works.
func agentBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if b := os.Getenv("E2E_AGENT_BINARY"); b != "" {
			binary = b
		} else {
			binary = filepath.Join(env.dir, "bin", "fig-injector")
			cmd := exec.Command("go", "build", "-tags", "agentonly", "-trimpath", "-ldflags", "-s -w", "-o", binary, "./cmd/fig-injector")
			cmd.Dir = "../.."
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build -tags agentonly ./cmd/fig-injector: %v\n%s", err, out)
				return
			}
		}
		if out, err := exec.Command(binary, "agent", "--help").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("fig-injector agent --help: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// TestRunInjectedAgent creates pods through the admission chain, then runs
// the injected agent containers exactly as the stored pod spec says
// (command, args, env; volumes materialised from the API server: the
// Secret, the trust-bundle ConfigMap, a TokenRequest token for the
// projected token) against the emulators, and reads the file where the app
// container's mount would show it.
func TestRunInjectedAgent(t *testing.T) {
	bin := agentBinary(t)
	tests := []struct {
		name   string
		labels map[string]string
		annot  []string
	}{
		{"native, Azure identity v1.6", map[string]string{azurewi.UseLabel: "true"}, []string{azureLayoutAnnotation, string(azurewi.V16)}},
		{"classic, own identity", map[string]string{variantLabel: "add-wi"}, []string{inject.ModeAnnotation, "classic"}},
		{"init-only, Azure identity v1.5, ours first", map[string]string{azurewi.UseLabel: "true", variantLabel: "fig-first"}, []string{inject.ModeAnnotation, "init-only", azureLayoutAnnotation, string(azurewi.V15)}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			annotations := basicAnnotations(append([]string{
				inject.KeyVaultAnnotation, env.emu.keyVault,
				inject.KeyVaultPrefixAnnotation, "OrderService--",
			}, tc.annot...)...)
			stored := mustCreate(t, newPod(fmt.Sprintf("agent-run-%d", i), tc.labels, annotations))
			fs := materialize(t, stored, t.TempDir())
			app := containerNamed(stored.Spec.Containers, "app")
			file := fs.hostPath(app, inject.DefaultOutputPath) // where the app reads it

			for _, c := range stored.Spec.InitContainers {
				switch {
				case c.Name == inject.InitContainerName:
					runToCompletion(t, fs, &c, bin)
				case c.Name == inject.AgentContainerName:
					runUntilStarted(t, fs, &c, bin, file) // native sidecar: its startup probe gates the app
				}
			}
			if side := containerNamed(stored.Spec.Containers, inject.AgentContainerName); side != nil {
				runUntilStarted(t, fs, side, bin, file)
			}
			checkRendered(t, file)
		})
	}
}

// runToCompletion runs an init container: it must exit 0.
func runToCompletion(t *testing.T, fs *podFS, c *corev1.Container, bin string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := fs.command(ctx, t, c, bin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", c.Name, err, out.String())
	}
}

// runUntilStarted runs a long-running agent until its startup probe (as the
// pod spec declares it, or /readyz on its port) passes and the file exists,
// then stops it with SIGTERM as the kubelet would, expecting a clean exit.
func runUntilStarted(t *testing.T, fs *podFS, c *corev1.Container, bin, file string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := fs.command(ctx, t, c, bin)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	ready := func() bool { return probeReadyz(env.agentPort) }
	if p := c.StartupProbe; p != nil {
		// The injected exec probe, run as the kubelet would (the image's
		// binary is bin here).
		ready = func() bool { return exec.Command(bin, p.Exec.Command[1:]...).Run() == nil }
	}
	deadline := time.Now().Add(30 * time.Second)
	for !ready() {
		select {
		case err := <-exited:
			t.Fatalf("%s exited before it was ready: %v\n%s", c.Name, err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 30s\n%s", c.Name, out.String())
		}
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("%s is ready but the app sees no file: %v", c.Name, err)
	}
	if rss := peakRSS(cmd.Process.Pid); rss != "" {
		t.Logf("%s peak RSS after the first render: %s", c.Name, rss)
	}
	cancel()
	err := <-exited // after Cancel, a clean exit is reported as the context's error
	if st := cmd.ProcessState; st == nil || !st.Success() {
		t.Errorf("%s did not stop cleanly on SIGTERM: %v\n%s", c.Name, err, out.String())
	} else {
		t.Logf("%s CPU until stopped: %s user, %s system", c.Name, st.UserTime(), st.SystemTime())
	}
}

// checkRendered: the app's file holds the Fig setting and the Key Vault
// secret, read-only for others.
func checkRendered(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("app's file: %v", err)
	}
	var got struct {
		Database          struct{ Host string }
		ConnectionStrings struct{ Orders string }
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("app's file is not JSON: %v", err)
	}
	if got.Database.Host != figDatabaseHost || got.ConnectionStrings.Orders != vaultOrdersValue {
		t.Errorf("app's file has Database:Host=%q and ConnectionStrings:Orders (from Key Vault) %s", got.Database.Host,
			map[bool]string{true: "right", false: "wrong"}[got.ConnectionStrings.Orders == vaultOrdersValue])
	}
	if fi, err := os.Stat(file); err == nil && fi.Mode().Perm() != 0o440 {
		t.Errorf("file mode %v, want 0440", fi.Mode().Perm())
	}
}

func peakRSS(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.Join(strings.Fields(strings.TrimPrefix(l, "VmHWM:")), " ")
		}
	}
	return ""
}

// probeReadyz reports whether the agent on port answers /readyz with 200.
func probeReadyz(port int32) bool {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
