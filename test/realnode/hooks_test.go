//go:build realnode

package realnode

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev/devca"
	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// The cluster relay (issue 14) as an operator installs it, on top of the walkthrough's release.
const (
	releaseNS      = "fig-system"
	relayName      = "fig-injector-relay" // <fullname>-relay: its Deployment, Service and app.kubernetes.io/name
	relayHost      = relayName + "." + releaseNS + ".svc"
	relayHookHash  = "fig-relay-hook" // Secret: the hash Fig's web UI shows for the web hook client
	relayTLSSecret = "fig-relay-tls"  // Secret: the relay's certificate, from a CA Fig trusts
	// hookSecret is the web hook client's secret in Fig (a dev-only placeholder; in secretValues).
	hookSecret = "7d3f9a2b-6c1e-4f8a-9b5d-2e4c6a8f0b1d"
	// longFigPoll is the pods' Fig poll interval while a test times web hooks: no poll can explain an
	// arrival within the test.
	longFigPoll = "10m"
	// hookLimit is how long a change may take through the relay before the test calls it lost: far
	// above the < 1 s it should take, far below longFigPoll.
	hookLimit = 30 * time.Second
)

// A Fig change reaches running pods through Fig's web hook, the relay and the agents' subscriptions in
// under a second, and a relay restart loses no change.
//
// The chart is upgraded with relay.enabled (the relay serving a certificate from the CA the emulators —
// Fig here — already trust, and Fig's hashed hook secret) and the Fig emulator is given a web hook client
// for the relay's Service, as an operator configures Fig's UI. Pods of OrderService in native and classic
// sidecar mode, admitted with a Fig poll interval of 10 minutes, subscribe (the relay counts them, each
// agent logs it). Each change is a seed edit of Location: the emulator applies it, fires
// SettingValueChanged, and the time from its "seed applied" line to the app's own loadedAt (the app
// re-read the file holding the new value when the agent told it) is one sample (the first change also
// pays the relay's one bcrypt check of Fig's secret, about 0.3 s). The median must be under 1 s, the
// issue's bar; p99 and the maximum are logged, not asserted: the node shares two CPUs with other work,
// so a single change may be late without anything being wrong. The agents keep their subscriptions
// meanwhile.
//
// Then a pod polling Fig every 5 s joins, the relay is scaled to zero, and changes made while it is gone
// reach that pod through its own polling; the agents notice the loss. Scaled back, every agent
// resubscribes, and the next change reaches the 10-minute pods through the new relay's web hook again.
func TestRelayWebHooks(t *testing.T) {
	enableRelay(t, longFigPoll)
	push := []string{"relay-native", "relay-classic"}
	createPod(t, samplePod(push[0], podSpec{mode: inject.ModeNative, notify: "http://127.0.0.1:8080/reload"}))
	createPod(t, samplePod(push[1], podSpec{mode: inject.ModeClassic, notify: "http://127.0.0.1:8080/reload"}))
	for _, name := range push {
		p := waitPod(t, name, "Ready", 120*time.Second, ready)
		checkFigPoll(t, p, longFigPoll)
	}
	t.Cleanup(func() { logRelayTrail(t, append(slices.Clone(push), "relay-polling")) }) // before the relay goes
	relay := waitSubscribed(t, push, 1)

	var latencies []time.Duration
	for i := range 6 {
		latencies = append(latencies, hookChange(t, fmt.Sprintf("Hook-%d-%d", time.Now().Unix(), i), push...)...)
	}
	p50, p99 := quantile(latencies, 0.50), quantile(latencies, 0.99)
	t.Logf("Fig change -> app re-read the file, through the relay: p50 %v, p99 %v, max %v (%d samples: %v)",
		p50, p99, slices.Max(latencies), len(latencies), latencies)
	if p50 >= time.Second {
		t.Errorf("median %v from Fig's change to the file in the pod, want < 1s (issue 14)", p50)
	}
	// A subscription lasts: an idle one must outlive the heartbeat and any write timeout (a hook that
	// arrives while an agent reconnects is lost to it until its next poll).
	for pod, n := range logCounts(t, push, "relay connection lost") {
		if n > 0 {
			t.Errorf("%s: the agent lost its relay connection %d times while the relay ran", pod, n)
		}
	}
	m := relayMetrics(t, relay)
	if n := metricSum(m, "fig_injector_relay_webhooks_total", "route", "SettingValueChanged", "outcome", "ok"); n < 6 {
		t.Errorf("the relay accepted %v SettingValueChanged hooks, want ≥ 6 (one per change)", n)
	}
	if n := metricSum(m, "fig_injector_relay_events_delivered_total"); n < float64(len(latencies)) {
		t.Errorf("the relay delivered %v wake-ups, want ≥ %d", n, len(latencies))
	}

	t.Run("restart loses no change", func(t *testing.T) {
		installRelay(t, "5s")
		const polling = "relay-polling"
		createPod(t, samplePod(polling, podSpec{mode: inject.ModeNative, notify: "http://127.0.0.1:8080/reload"}))
		checkFigPoll(t, waitPod(t, polling, "Ready", 120*time.Second, ready), "5s")
		all := append(slices.Clone(push), polling)
		waitSubscribed(t, all, 1)
		lost := logCounts(t, all, "relay connection lost")

		scaleDeployment(t, releaseNS, relayName, 0)
		for _, pod := range all {
			testutil.EventuallyEvery(t, pod+": the agent noticed the relay is gone", 60*time.Second, time.Second, func() bool {
				return logCounts(t, []string{pod}, "relay connection lost")[pod] > lost[pod]
			})
		}
		for i := range 2 { // changes while no relay runs: the 5 s pod's own polling brings each one
			location := fmt.Sprintf("Down-%d-%d", time.Now().Unix(), i)
			_, figAt := editSeed(t, func(seed string) string { return locationRe.ReplaceAllString(seed, "${1}"+location) })
			t.Logf("change %s while the relay is down: in the polling pod after %v", location, waitAppLoaded(t, polling, location, time.Minute).Sub(figAt))
		}

		scaleDeployment(t, releaseNS, relayName, 1)
		relay := waitSubscribed(t, all, 2) // the agents' reconnect backoff reaches up to a minute
		// The 10-minute pods get this one (which also carries the changes they missed) only through the
		// new relay's wake-up.
		latencies := hookChange(t, fmt.Sprintf("Back-%d", time.Now().Unix()), all...)
		t.Logf("first change after the restart: %v (native, classic, polling)", latencies)
		if n := metricSum(relayMetrics(t, relay), "fig_injector_relay_webhooks_total", "route", "SettingValueChanged", "outcome", "ok"); n < 1 {
			t.Error("the new relay accepted no SettingValueChanged hook")
		}
		checkNoSecretInLogs(t, relay)
	})
}

// enableRelay runs the relay as an operator would: its certificate from a CA Fig trusts (the emulators'
// CA, which the agents trust through the walkthrough's trustBundle too), the hash of Fig's web hook
// secret, the chart upgraded with relay.enabled and pods admitted with figPoll; then the Fig emulator
// gets a web hook client for the relay's Service. Everything is undone when the test ends: the seed,
// the chart (back to the walkthrough's values, which removes the relay), the Secrets.
func enableRelay(tb testing.TB, figPoll string) {
	tb.Helper()
	ctx := context.Background()
	hashed, err := hook.EnhancedHash(hookSecret, 11) // Fig's work factor ($2a$11$…)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, caPEM := relayCertificate(tb)
	for _, s := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: relayHookHash}, StringData: map[string]string{"hash": hashed}},
		{ObjectMeta: metav1.ObjectMeta{Name: relayTLSSecret}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": leaf.CertPEM, "tls.key": leaf.KeyPEM, "ca.crt": caPEM}},
	} {
		if _, err := cs.CoreV1().Secrets(releaseNS).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			tb.Fatalf("create secret %s: %v", s.Name, err)
		}
		tb.Cleanup(func() { _ = cs.CoreV1().Secrets(releaseNS).Delete(ctx, s.Name, metav1.DeleteOptions{}) })
	}
	tb.Cleanup(func() { upgradeChart(tb) }) // the walkthrough's values: no relay
	installRelay(tb, figPoll)
	tb.Cleanup(changeSeed(tb, func(seed string) string {
		return strings.Replace(seed, "\nkeyVaults:", "\n"+hookClientSeed+"keyVaults:", 1)
	}))
}

// hookClientSeed is the web hook client under fig: in the seed, as an operator adds it in Fig's UI
// (docs/operations.md#relay): the relay Service's /fig/ base URI, SettingValueChanged for OrderService.
const hookClientSeed = `  webHooks:
    - name: fig-injector-relay
      baseUri: https://` + relayHost + `:8443/fig/
      secret: ` + hookSecret + `
      hooks:
        - {type: SettingValueChanged, clientNameRegex: ^OrderService$, settingNameRegex: .*}
`

// installRelay upgrades the walkthrough's release with the relay on and pods admitted with figPoll as
// their Fig poll interval (the chart's defaults.figPollInterval), and waits until all of it is ready.
func installRelay(tb testing.TB, figPoll string) {
	tb.Helper()
	upgradeChart(tb, "--set", "relay.enabled=true,relay.webhookSecretHash.secretName="+relayHookHash+
		",relay.tls.existingSecret="+relayTLSSecret+",defaults.figPollInterval="+figPoll)
}

// upgradeChart upgrades the walkthrough's release to the chart of this tree with the walkthrough's values
// and extra flags, as examples/kind/up.sh installed it, and waits until it is ready.
func upgradeChart(tb testing.TB, extra ...string) {
	tb.Helper()
	root := filepath.Join("..", "..")
	args := []string{"upgrade", "fig-injector", filepath.Join(root, "charts", "fig-injector"), "--namespace", releaseNS,
		"--reset-values", "-f", filepath.Join(root, "examples", "kind", "values.yaml"), "--wait", "--timeout", "180s"}
	helm(tb, append(args, extra...)...)
}

// relayCertificate issues the relay's serving certificate for its Service names from the emulators' CA
// (the Secret fig-dev/fig-dev-ca the walkthrough made) and returns it with the CA's certificate.
func relayCertificate(tb testing.TB) (*devca.Leaf, []byte) {
	tb.Helper()
	s, err := cs.CoreV1().Secrets("fig-dev").Get(context.Background(), "fig-dev-ca", metav1.GetOptions{})
	if err != nil {
		tb.Fatalf("the emulators' CA: %v", err)
	}
	dir := tb.TempDir()
	for _, f := range []string{devca.CACertFile, devca.CAKeyFile} {
		if err := os.WriteFile(filepath.Join(dir, f), s.Data[f], 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	ca, err := devca.LoadOrCreate(dir)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, err := ca.Issue(relayHost, relayHost+".cluster.local")
	if err != nil {
		tb.Fatal(err)
	}
	return leaf, ca.CertPEM()
}

// helm runs helm (hack/realnode/test.sh puts the cached one on PATH) against the node.
func helm(tb testing.TB, args ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "helm", args...).CombinedOutput(); err != nil {
		tb.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// checkFigPoll checks the agent of pod was admitted with Fig poll interval want (its config is in its
// environment), subscribing to the relay: the proof that its own polling cannot explain a fast arrival.
func checkFigPoll(tb testing.TB, p *corev1.Pod, want string) {
	tb.Helper()
	d, err := time.ParseDuration(want)
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range append(slices.Clone(p.Spec.InitContainers), p.Spec.Containers...) {
		if c.Name != inject.AgentContainerName {
			continue
		}
		for _, e := range c.Env {
			if e.Name != inject.ConfigEnvVar {
				continue
			}
			cfg, err := config.Parse([]byte(e.Value))
			if err != nil || cfg.Fig == nil {
				tb.Fatalf("pod %s: agent config without Fig (%v)", p.Name, err)
			}
			if cfg.Fig.PollInterval.D() != d || cfg.Relay == nil {
				tb.Fatalf("pod %s: agent polls Fig every %s, relay %+v; want every %s and a relay", p.Name, cfg.Fig.PollInterval.D(), cfg.Relay, d)
			}
			return
		}
	}
	tb.Fatalf("pod %s: no agent config in %s", p.Name, inject.ConfigEnvVar)
}

// waitSubscribed waits until the relay's one pod counts exactly pods as open subscriptions and each of
// their agents has logged at least times subscriptions, and returns that relay pod.
func waitSubscribed(tb testing.TB, pods []string, times int) *corev1.Pod {
	tb.Helper()
	var relay *corev1.Pod
	testutil.EventuallyEvery(tb, fmt.Sprintf("%v subscribed to the relay (%d times each)", pods, times), 2*time.Minute, time.Second, func() bool {
		relay = readyRelay(tb)
		if relay == nil || metricSum(relayMetrics(tb, relay), "fig_injector_relay_subscribers") != float64(len(pods)) {
			return false
		}
		for _, n := range logCounts(tb, pods, "subscribed to the relay") {
			if n < times {
				return false
			}
		}
		return true
	})
	return relay
}

// logRelayTrail logs, when the test failed, what the relay, the agents of pods and the Fig emulator
// logged about hooks and subscriptions: where a change stopped.
func logRelayTrail(t *testing.T, pods []string) {
	t.Helper()
	if !t.Failed() {
		return
	}
	ctx := context.Background()
	for _, sel := range []struct{ ns, label, container string }{{releaseNS, relayName, "relay"}, {"fig-dev", "fig-dev", "dev"}} {
		list, err := cs.CoreV1().Pods(sel.ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + sel.label})
		if err != nil {
			continue
		}
		for i := range list.Items {
			for _, l := range strings.Split(podLogs(t, &list.Items[i])[sel.container], "\n") {
				if sel.ns == releaseNS || strings.Contains(l, "web hook") || strings.Contains(l, "seed") {
					t.Logf("%s: %s", list.Items[i].Name, l)
				}
			}
		}
	}
	for _, pod := range pods {
		if p, err := cs.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{}); err == nil {
			t.Logf("%s agent:\n%s", pod, podLogs(t, p)[inject.AgentContainerName])
		}
	}
}

// readyRelay returns the relay's pod when exactly one runs and is ready, else nil.
func readyRelay(tb testing.TB) *corev1.Pod {
	tb.Helper()
	pods, err := cs.CoreV1().Pods(releaseNS).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + relayName})
	if err != nil || len(pods.Items) != 1 || !ready(&pods.Items[0]) || pods.Items[0].DeletionTimestamp != nil {
		return nil
	}
	return &pods.Items[0]
}

// relayMetrics reads the relay pod's /metrics through the API server's pod proxy.
func relayMetrics(tb testing.TB, relay *corev1.Pod) map[string]*dto.MetricFamily {
	tb.Helper()
	raw, err := cs.CoreV1().Pods(releaseNS).ProxyGet("https", relay.Name, "8443", "/metrics", nil).DoRaw(context.Background())
	if err != nil {
		tb.Fatalf("GET /metrics of %s: %v", relay.Name, err)
	}
	return testutil.ParseMetrics(tb, string(raw))
}

// metricSum adds up the counters or gauges of family name whose labels hold every name/value pair.
func metricSum(families map[string]*dto.MetricFamily, name string, labelPairs ...string) float64 {
	sum := 0.0
	for _, m := range families[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(labelPairs); i += 2 {
			match = match && labels[labelPairs[i]] == labelPairs[i+1]
		}
		if match {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// logCounts counts the agent log lines of each pod (previous runs included) holding msg.
func logCounts(tb testing.TB, pods []string, msg string) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, pod := range pods {
		out[pod] = strings.Count(podLogs(tb, getPod(tb, pod))[inject.AgentContainerName], msg)
	}
	return out
}

// hookChange sets Location to location in the Fig emulator and returns, per pod, the time from the
// emulator applying the change to the app in the pod having re-read the file holding it.
func hookChange(tb testing.TB, location string, pods ...string) []time.Duration {
	tb.Helper()
	_, figAt := editSeed(tb, func(seed string) string { return locationRe.ReplaceAllString(seed, "${1}"+location) })
	out := make([]time.Duration, 0, len(pods))
	for _, pod := range pods {
		out = append(out, waitAppLoaded(tb, pod, location, hookLimit).Sub(figAt))
	}
	return out
}

// quantile returns the q-quantile of ds by nearest rank (with few samples p99 is the maximum).
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}
