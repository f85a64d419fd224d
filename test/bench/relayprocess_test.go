package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/devca"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/injector/relay/subscribe"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
	"github.com/fig-injector/fig-injector/injector/transport"
	"golang.org/x/crypto/bcrypt"
)

// relaySubscribers is the fleet of BenchmarkRelayProcess unless
// FIG_INJECTOR_RELAY_SUBSCRIBERS says otherwise.
const relaySubscribers = 1000

// relayFanouts is how many Fig changes BenchmarkRelayProcess fans out.
const relayFanouts = 10

// BenchmarkRelayProcess runs the real relay binary (`fig-injector relay`,
// as its Deployment does) with relaySubscribers subscribers and measures,
// from /proc, its memory and CPU:
//
//   - base: VmRSS before anyone subscribed;
//   - idle: VmRSS (and RssAnon) with every subscriber connected, and CPU
//     time per second over one heartbeat interval (15 s: every stream
//     writes one heartbeat in it);
//   - fan-out: relayFanouts Fig changes, each one web hook from the Fig
//     emulator to the relay and a settingsChanged line to every
//     subscriber: the time from the change to the last subscriber's line,
//     and the relay's CPU time per fan-out.
//
// Subscribers are light NDJSON clients in this process
// (injector/relay/subscribe, the agent's own client), each with its own
// HTTP transport, so each holds its own TCP and TLS connection as pods do.
// The relay's Kubernetes API (TokenReview and the pod get it makes per
// subscription) is a stand-in served here over TLS: it answers every
// review for one pod of the example app, so the relay authenticates and
// authorises each subscriber as it would in a cluster without a real API
// server's cost on this machine. The relay lists the emulated vault with
// the seed's identity, as it would with its own.
//
// Set FIG_INJECTOR_RELAY_BIN to a built binary (hack/bench.sh does);
// otherwise the benchmark builds the product image's. Run it with
// -benchtime=1x.
func BenchmarkRelayProcess(b *testing.B) {
	n := envInt(b, "FIG_INJECTOR_RELAY_SUBSCRIBERS", relaySubscribers)
	bin := os.Getenv("FIG_INJECTOR_RELAY_BIN")
	if bin == "" {
		bin = filepath.Join(b.TempDir(), "fig-injector")
		build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "github.com/fig-injector/fig-injector/cmd/fig-injector")
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("build: %v\n%s", err, out)
		}
	}
	for b.Loop() {
		env, cfg := startEnv(b, dev.ExampleSeed())
		vault := wire.VaultKey(cfg.KeyVaults[0].URL)
		p := startRelayProcess(b, bin, env, cfg, vault)
		baseRSS := procStatus(b, p.pid, "VmRSS")

		subs := subscribeMany(b, env, p.url, n, cfg.Fig.ClientName, vault)
		connect := subs.awaitHello(b, n)

		const window = wire.HeartbeatInterval
		cpu0 := cpuTicks(b, p.pid)
		time.Sleep(window) // the measurement window itself, not synchronisation
		idleCPU := float64(cpuTicks(b, p.pid)-cpu0) * 1000 / clockTicks / window.Seconds()
		idleRSS, idleAnon := procStatus(b, p.pid, "VmRSS"), procStatus(b, p.pid, "RssAnon")

		var fanouts []time.Duration
		ns0 := cpuNanos(b, p.pid)
		for i := range relayFanouts {
			at := time.Now()
			if err := env.Fig.SetValue(cfg.Fig.ClientName, "", "Location", figapi.String(fmt.Sprintf("fanout-%d", i))); err != nil {
				b.Fatal(err)
			}
			waitFor(b, "every subscriber woken", time.Minute, func() bool { return subs.woken(i+1) == n })
			fanouts = append(fanouts, time.Since(at))
			// Past the relay's minimum spacing per stream, so the next
			// change is a wake-up of its own: the experiment's design.
			time.Sleep(server.DefaultMinSpacing + 50*time.Millisecond)
		}
		fanoutCPU := float64(cpuNanos(b, p.pid)-ns0) / 1e6 / relayFanouts
		peakRSS := procStatus(b, p.pid, "VmHWM")
		subs.stop()
		p.stop()

		b.ReportMetric(float64(n), "subscribers")
		b.ReportMetric(baseRSS/1024, "base-RSS-MiB")
		b.ReportMetric(idleRSS/1024, "idle-RSS-MiB")
		b.ReportMetric(idleAnon/1024, "idle-RSS-anon-MiB")
		b.ReportMetric((idleRSS-baseRSS)/float64(n), "RSS-KiB/subscriber")
		b.ReportMetric(peakRSS/1024, "peak-RSS-MiB")
		b.ReportMetric(idleCPU, "idle-CPU-ms/s")
		b.ReportMetric(float64(connect.Milliseconds()), "subscribe-all-ms")
		b.ReportMetric(float64(quantile(fanouts, 0.5))/1e6, "fanout-p50-ms")
		b.ReportMetric(float64(slices.Max(fanouts))/1e6, "fanout-max-ms")
		b.ReportMetric(fanoutCPU, "fanout-CPU-ms")
	}
}

// relayProcess is a running `fig-injector relay`.
type relayProcess struct {
	pid  int
	url  string
	stop func()
}

// startRelayProcess starts the relay binary against env: its own serving
// certificate from dev's CA, Fig's web hooks pointed at it, the stand-in
// Kubernetes API and the seed's identity for Key Vault. It returns once
// the relay answers /healthz.
func startRelayProcess(tb testing.TB, bin string, env *dev.Env, cfg *config.Config, vault string) relayProcess {
	tb.Helper()
	dir := tb.TempDir()
	leaf, err := env.CA.Issue()
	if err != nil {
		tb.Fatal(err)
	}
	if err := devca.WriteLeaf(dir, leaf); err != nil {
		tb.Fatal(err)
	}
	const hookSecret = "3f9a1c7e-5b2d-4e8f-a6c0-9d1b7e3f5a2c"
	hashed, err := hook.EnhancedHash(hookSecret, bcrypt.MinCost)
	if err != nil {
		tb.Fatal(err)
	}
	hashFile := filepath.Join(dir, "hook-hash")
	tokenFile := filepath.Join(dir, "token")
	for path, data := range map[string]string{hashFile: hashed, tokenFile: "pod-token"} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	kubeconfig := standInAPI(tb, dir, cfg.Fig.ClientName, vault)
	port := freePort(tb)
	url := fmt.Sprintf("https://127.0.0.1:%d", port)
	if err := env.Fig.SetWebHooks([]figapi.WebHookClient{{Name: "relay", BaseURI: url + "/fig/", Secret: hookSecret,
		Hooks: []figapi.WebHook{{Type: figapi.WebHookSettingValueChanged, ClientNameRegex: ".*", SettingNameRegex: ".*"}}}}); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "relay", "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--tls-cert-file", filepath.Join(dir, devca.CertFile), "--tls-key-file", filepath.Join(dir, devca.KeyFile),
		"--webhook-secret-hash-file", hashFile, "--kubeconfig", kubeconfig, "--ca-file", env.CAFile,
		"--disable-instance-discovery", "--disable-challenge-resource-verification", "--log-level", "warn")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "AZURE_CLIENT_ID=" + cfg.Azure.ClientID, "AZURE_TENANT_ID=" + cfg.Azure.TenantID,
		"AZURE_FEDERATED_TOKEN_FILE=" + cfg.Azure.TokenFile, "AZURE_AUTHORITY_HOST=" + cfg.Azure.AuthorityHost}
	var stderr jsonLog
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := sync.OnceFunc(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	tb.Cleanup(stop)
	hc := env.HTTPClient()
	waitFor(tb, "the relay's /healthz", 30*time.Second, func() bool {
		select {
		case <-exited:
			stderr.mu.Lock()
			defer stderr.mu.Unlock()
			tb.Fatalf("the relay exited:\n%s", stderr.b.String())
		default:
		}
		resp, err := hc.Get(url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return relayProcess{pid: cmd.Process.Pid, url: url, stop: stop}
}

// standInAPI serves the two calls the relay's authorizer makes, for one
// pod of client with vault (annotated as the webhook annotates it), and
// returns a kubeconfig for it.
func standInAPI(tb testing.TB, dir, client, vault string) string {
	tb.Helper()
	const ns, podName, uid = "shop", "orders-1", "7c1e5a3b-2d4f-4a6b-9c8d-0e1f2a3b4c5d"
	mux := http.NewServeMux()
	mux.HandleFunc("POST /apis/authentication.k8s.io/v1/tokenreviews", func(w http.ResponseWriter, r *http.Request) {
		var tr authnv1.TokenReview
		_ = json.NewDecoder(r.Body).Decode(&tr)
		tr.APIVersion, tr.Kind = "authentication.k8s.io/v1", "TokenReview"
		tr.Status = authnv1.TokenReviewStatus{Authenticated: tr.Spec.Token == "pod-token", Audiences: tr.Spec.Audiences,
			User: authnv1.UserInfo{Username: "system:serviceaccount:" + ns + ":orders", Extra: map[string]authnv1.ExtraValue{
				"authentication.kubernetes.io/pod-name": {podName}, "authentication.kubernetes.io/pod-uid": {uid}}}}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(&tr)
	})
	mux.HandleFunc("GET /api/v1/namespaces/"+ns+"/pods/"+podName, func(w http.ResponseWriter, _ *http.Request) {
		pod := corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: podName, Namespace: ns, UID: uid,
				Annotations: map[string]string{inject.ClientNameAnnotation: client, inject.KeyVaultAnnotation: vault}}}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&pod)
	})
	srv := httptest.NewTLSServer(mux)
	tb.Cleanup(srv.Close)
	ca := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	path := filepath.Join(dir, "kubeconfig")
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: stand-in, cluster: {server: %q, certificate-authority-data: %s}}]
users: [{name: relay, user: {token: relay}}]
contexts: [{name: stand-in, context: {cluster: stand-in, user: relay}}]
current-context: stand-in
`, srv.URL, ca)
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// subscribers is a fleet of light subscribers, counting what they heard.
type subscribers struct {
	hello, wakes []atomic.Int32
	cancel       context.CancelFunc
	wg           sync.WaitGroup
	started      time.Time
}

// subscribeMany subscribes n clients of client and vault to the relay at
// url, each over its own connection.
func subscribeMany(tb testing.TB, env *dev.Env, url string, n int, client, vault string) *subscribers {
	tb.Helper()
	token := filepath.Join(tb.TempDir(), "token")
	if err := os.WriteFile(token, []byte("pod-token"), 0o600); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &subscribers{hello: make([]atomic.Int32, n), wakes: make([]atomic.Int32, n), cancel: cancel, started: time.Now()}
	for i := range n {
		hc, err := transport.New(transport.Options{CAFile: env.CAFile, Timeout: -1})
		if err != nil {
			tb.Fatal(err)
		}
		s.wg.Go(func() {
			_ = subscribe.Run(ctx, subscribe.Options{URL: url, TokenFile: token, HTTPClient: hc,
				Subscription: wire.Subscription{Client: client, Vaults: []string{vault}},
				OnEvent: func(ev wire.Event) {
					switch ev.Type {
					case wire.TypeHello:
						s.hello[i].Add(1)
					case wire.TypeSettingsChanged:
						s.wakes[i].Add(1)
					}
				}})
		})
	}
	tb.Cleanup(s.stop)
	return s
}

// awaitHello waits until every subscriber was accepted and returns how
// long that took from the first attempt.
func (s *subscribers) awaitHello(tb testing.TB, n int) time.Duration {
	tb.Helper()
	waitFor(tb, "every subscriber accepted", 2*time.Minute, func() bool {
		for i := range s.hello {
			if s.hello[i].Load() == 0 {
				return false
			}
		}
		return true
	})
	for i := range s.hello {
		if got := s.hello[i].Load(); got != 1 {
			tb.Fatalf("subscriber %d of %d was accepted %d times: its stream broke", i, n, got)
		}
	}
	return time.Since(s.started)
}

// woken counts the subscribers that heard at least k settingsChanged lines.
func (s *subscribers) woken(k int) int {
	n := 0
	for i := range s.wakes {
		if s.wakes[i].Load() >= int32(k) {
			n++
		}
	}
	return n
}

func (s *subscribers) stop() {
	s.cancel()
	s.wg.Wait()
}

// freePort returns a loopback port nothing listens on at the moment.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// envInt reads a positive number from the environment, def when unset.
func envInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	var n int
	if _, err := fmt.Sscan(strings.TrimSpace(s), &n); err != nil || n < 1 {
		tb.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}
