package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/internal/devenv"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// startEnv starts the emulators with seed and returns them with the agent
// configuration dev wrote for them (status listener off).
func startEnv(tb testing.TB, seed []byte, tune ...func(*dev.Options)) (*dev.Env, *config.Config) {
	tb.Helper()
	opts := dev.Options{Seed: seed}
	for _, f := range tune {
		f(&opts)
	}
	return devenv.Start(tb, opts)
}

// vaultSeed is a seed with one vault of n secrets named s0000…, no Fig
// client (so dev maps every secret explicitly), and one identity.
func vaultSeed(n int) []byte {
	var b strings.Builder
	b.WriteString("tenantId: 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f\nkeyVaults:\n  - name: bench-kv\n    secrets:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - { name: s%04d, value: value-%04d }\n", i, i)
	}
	b.WriteString(identity)
	return []byte(b.String())
}

// agentSeed is the idle-agent seed of SPEC §5: one Fig client with
// settings Fig settings, and secrets prefix secrets in one vault.
func agentSeed(settings, secrets int) []byte {
	var b strings.Builder
	b.WriteString("tenantId: 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f\nfig:\n  clients:\n    - name: OrderService\n")
	b.WriteString("      secret: 0f8e6a52-3c1b-4d7e-9a2f-5b6c7d8e9f01\n      settings:\n")
	for i := range settings {
		fmt.Fprintf(&b, "        - { name: Group%02d->Setting%04d, type: string, value: value-%04d }\n", i%50, i, i)
	}
	b.WriteString("keyVaults:\n  - name: orders-kv\n    secrets:\n")
	for i := range secrets {
		fmt.Fprintf(&b, "      - { name: OrderService--Secrets--S%04d, value: secret-%04d }\n", i, i)
	}
	b.WriteString(identity)
	return []byte(b.String())
}

const identity = `identities:
  - clientId: 2b7c9e4d-1f3a-4e6b-8c5d-7a9f0e1d2c3b
    issuer: https://kubernetes.default.svc.cluster.local
    subject: system:serviceaccount:shop:orders
`

// waitFor polls cond every millisecond until it holds or limit passes: the
// benchmarks time what they wait for, so they need finer steps than
// testutil.Eventually takes.
func waitFor(tb testing.TB, what string, limit time.Duration, cond func() bool) {
	tb.Helper()
	testutil.EventuallyEvery(tb, what, limit, time.Millisecond, cond)
}

// jsonLog is a JSON slog sink whose lines can be read back.
type jsonLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *jsonLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *jsonLog) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// lines returns the decoded log lines with message msg.
func (l *jsonLog) lines(msg string) []map[string]any {
	l.mu.Lock()
	text := l.b.String()
	l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func fileHas(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), s)
}
