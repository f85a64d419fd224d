package security

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// TestBinaryEmitsNoSecret runs the real binary: `dev` (the emulators, debug
// logs), `agent` in init mode (JSON and text logs, success and failures),
// `agent` in sidecar mode with its status endpoints, and `render` with and
// without --show-secrets. Everything it prints or serves is scanned.
func TestBinaryEmitsNoSecret(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedFile := filepath.Join(dir, "seed.yaml")
	must(t, os.WriteFile(seedFile, seed, 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	devCmd, devOut, devErr := start(ctx, "dev", "--dir", dir, "--seed", seedFile, "--fig-port", "0", "--entra-port", "0", "--vault-port", "0", "--log-level", "debug")
	eventually(t, "the emulators", func() bool { return strings.Contains(devOut.String(), "Next steps") })
	token, err := os.ReadFile(filepath.Join(dir, "token"))
	must(t, err)
	values := append(sentinels(), strings.TrimSpace(string(token)))
	agentYAML := filepath.Join(dir, "agent.yaml")
	var streams []stream

	// init mode, both log formats, debug level.
	for _, format := range []string{"json", "text"} {
		out, errOut, err := run(ctx, "agent", "--mode=init", "--config", agentYAML, "--log-level", "debug", "--log-format", format)
		if err != nil {
			t.Fatalf("agent --mode=init (%s logs): %v\n%s", format, err, errOut)
		}
		streams = append(streams, stream{"agent init stdout (" + format + ")", out}, stream{"agent init stderr (" + format + ")", errOut})
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "appsettings.json")); !bytes.Contains(b, []byte(kvReferenced)) {
		t.Error("the output file lacks the referenced secret (the scan would prove nothing)")
	}
	if info, err := os.Stat(filepath.Join(dir, "appsettings.json")); err != nil || info.Mode().Perm() != 0o440 {
		t.Errorf("output mode %v (%v), want 0440", info.Mode().Perm(), err)
	}

	// Failures: a missing required secret, and a wrong Fig client secret.
	wrong := filepath.Join(dir, "wrong-secret")
	must(t, os.WriteFile(wrong, []byte(wrongClientSecret+"\n"), 0o600))
	for name, edit := range map[string]func(*config.Config){
		"missing secret": func(c *config.Config) {
			c.KeyVaults[0].Secrets = []config.SecretMapping{{Name: "does-not-exist", Key: "Missing"}}
		},
		"wrong client secret": func(c *config.Config) { c.Fig.ClientSecret.File = wrong },
	} {
		path := editConfig(t, agentYAML, func(c *config.Config) { edit(c); c.InitTimeout = config.Dur(time.Second) })
		out, errOut, err := run(ctx, "agent", "--mode=init", "--config", path, "--log-level", "debug")
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("agent --mode=init with a %s: %v, want exit status 1", name, err)
		}
		streams = append(streams, stream{"agent init stdout (" + name + ")", out}, stream{"agent init stderr (" + name + ")", errOut})
	}

	// render: redacted by default; --show-secrets proves the scan can see values.
	out, errOut, err := run(ctx, "render", "--config", agentYAML)
	must(t, err)
	if !strings.Contains(out, secret.Redacted) {
		t.Errorf("render printed no %s:\n%s", secret.Redacted, out)
	}
	streams = append(streams, stream{"render stdout", out}, stream{"render stderr", errOut})
	shown, _, err := run(ctx, "render", "--config", agentYAML, "--show-secrets")
	must(t, err)
	if !strings.Contains(shown, kvReferenced) || !strings.Contains(shown, figSecretSetting) {
		t.Error("render --show-secrets does not show the values")
	}

	// sidecar with its status endpoints.
	port := freePort(t)
	side, sideOut, sideErr := start(ctx, "agent", "--mode=sidecar", "--config", agentYAML, "--listen", "127.0.0.1:"+port, "--log-level", "debug")
	base := "http://127.0.0.1:" + port
	eventually(t, "the sidecar ready", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		streams = append(streams, stream{"sidecar " + p, get(t, base+p)})
	}
	stopProcess(t, side)
	stopProcess(t, devCmd)
	streams = append(streams, stream{"sidecar stdout", sideOut.String()}, stream{"sidecar stderr", sideErr.String()},
		stream{"dev stdout", devOut.String()}, stream{"dev stderr", devErr.String()})

	for _, s := range streams {
		scan(t, s.name, s.text, values)
	}
	if !strings.Contains(devErr.String(), "keyvault request") {
		t.Error("dev printed no debug request lines (the scan of its logs would prove little)")
	}
}

type stream struct{ name, text string }

// start runs the binary in the background, its output in buffers.
func start(ctx context.Context, args ...string) (*exec.Cmd, *testutil.Buffer, *testutil.Buffer) {
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errOut testutil.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = cleanEnv()
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	return cmd, &out, &errOut
}

// run runs the binary to completion.
func run(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = cleanEnv()
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// cleanEnv is the environment without AZURE_* and FIG_* variables, so the
// agent reads only its configuration file.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AZURE_") && !strings.HasPrefix(kv, "FIG_") {
			env = append(env, kv)
		}
	}
	return env
}

// stopProcess sends SIGTERM and waits for a clean exit.
func stopProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	if err := cmd.Wait(); err != nil {
		t.Errorf("%s exited with %v after SIGTERM", strings.Join(cmd.Args[1:2], " "), err)
	}
}

// editConfig writes a copy of the configuration at path with edit applied.
func editConfig(t *testing.T, path string, edit func(*config.Config)) string {
	t.Helper()
	cfg, err := config.Load(path, func(string) string { return "" })
	must(t, err)
	edit(cfg)
	data, err := config.Marshal(cfg)
	must(t, err)
	out := filepath.Join(t.TempDir(), "agent.yaml")
	must(t, os.WriteFile(out, data, 0o600))
	return out
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
