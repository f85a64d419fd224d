package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/status"
)

// fixedHealth is an agent's state as /readyz reports it.
type fixedHealth struct {
	ready   bool
	sources []status.SourceHealth
}

func (h fixedHealth) Ready() bool                    { return h.ready }
func (h fixedHealth) Sources() []status.SourceHealth { return h.sources }
func (h fixedHealth) Outputs() []status.OutputHealth { return nil }

// `fig-injector probe` against the agent's real status handler: exit 0 when
// ready; else exit 1 with one line naming the first failing source and its
// error (which names the secret and the identity for a Key Vault 403), or
// the agent's own reason; the line is bounded.
func TestProbeCommand(t *testing.T) {
	const vault = "keyvault:https://myvault.vault.azure.net/"
	forbidden := "get secret api-key: 403 Forbidden (Forbidden: Caller: appid=11111111-2222-3333-4444-555555555555;...); " +
		"fix: grant the pod's identity 'Key Vault Secrets User' on the vault"
	tests := []struct {
		name     string
		health   fixedHealth
		wantCode int
		wantLine string
	}{
		{"ready", fixedHealth{ready: true}, 0, ""},
		{"not ready, Key Vault 403",
			fixedHealth{sources: []status.SourceHealth{{Name: status.SourceFig}, {Name: vault, LastError: forbidden}}},
			1, "fig-injector: not ready: " + vault + ": " + forbidden},
		{"not ready, two failing",
			fixedHealth{sources: []status.SourceHealth{{Name: status.SourceFig, LastError: "Fig answered 503"}, {Name: vault, LastError: forbidden}}},
			1, "fig-injector: not ready: fig: Fig answered 503 (and 1 more failing sources)"},
		{"not ready, nothing failed yet",
			fixedHealth{sources: []status.SourceHealth{{Name: status.SourceFig}}},
			1, "fig-injector: not ready: the first complete render has not happened yet"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(status.Handler(tc.health, nil))
			defer srv.Close()
			code, stdout, stderr := runProbeCommand(t, "--port="+port(t, srv.Listener.Addr()))
			if code != tc.wantCode || stdout != "" || strings.TrimSuffix(stderr, "\n") != tc.wantLine {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and the line %q", code, stdout, stderr, tc.wantCode, tc.wantLine)
			}
			if strings.Count(stderr, "\n") > 1 {
				t.Errorf("more than one line: %q", stderr)
			}
		})
	}
}

// A long error is cut to maxProbeLine, whole runes only.
func TestProbeLineBounded(t *testing.T) {
	long := strings.Repeat("é", maxProbeLine)
	line := notReadyLine(readyzAnswer{Sources: []status.SourceHealth{{Name: "fig", LastError: long}}})
	got := bound(line, maxProbeLine)
	if len(got) > maxProbeLine || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "not ready: fig: éé") || !utf8Valid(got) {
		t.Errorf("bounded line %q (%d bytes)", got, len(got))
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// Nothing listening (the agent not started yet, or crashed): exit 1 with a
// line that says so and where it asked.
func TestProbeUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := port(t, l.Addr())
	l.Close()
	code, _, stderr := runProbeCommand(t, "--port="+p)
	want := "fig-injector: the agent does not answer at http://127.0.0.1:" + p + "/readyz: "
	if code != 1 || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "connection refused") {
		t.Errorf("exit %d, stderr %q; want exit 1 and %q… connection refused", code, stderr, want)
	}
}

// A port that is not one is a usage error (exit 2) naming the flag.
func TestProbeBadPort(t *testing.T) {
	code, _, stderr := runProbeCommand(t, "--port=0")
	if code != 2 || !strings.Contains(stderr, "--port 0") {
		t.Errorf("exit %d, stderr %q; want exit 2 naming --port", code, stderr)
	}
}

func runProbeCommand(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"probe"}, args...), &out, &errb)
	code = exitCode(err, &errb)
	return code, out.String(), errb.String()
}

func port(t *testing.T, a net.Addr) string {
	t.Helper()
	return strconv.Itoa(a.(*net.TCPAddr).Port)
}

// The agent's failure reaches the kubelet's termination message file as one
// line; a usage error leaves it alone, and outside a pod (no file) nothing is
// created.
func TestWriteTerminationMessage(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "termination-log")
	if err := os.WriteFile(file, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	writeTerminationMessage(file, errUsage)
	if b, _ := os.ReadFile(file); len(b) != 0 {
		t.Errorf("a usage error wrote %q", b)
	}
	writeTerminationMessage(file, errors.New("gave up after 2m0s (initTimeout): get secret api-key: 403"))
	if b, _ := os.ReadFile(file); string(b) != "fig-injector: gave up after 2m0s (initTimeout): get secret api-key: 403" {
		t.Errorf("termination message %q", b)
	}
	missing := filepath.Join(dir, "absent")
	writeTerminationMessage(missing, errors.New("boom"))
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("created %s outside a pod: %v", missing, err)
	}
}
