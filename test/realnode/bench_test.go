//go:build realnode

package realnode

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// The real-node figures of docs/benchmarks.md:
//
//	bash hack/realnode/test.sh -run '^$' -bench . -benchtime 5x
//
// BenchmarkPodStart: pod create (the API call) -> the app container running, as a watch on the pod
// sees it; the sample app without injection, then the same pod injected in native mode (the agent
// renders the file first and passes its startup probe). The ratio is the cost of injection.
func BenchmarkPodStart(b *testing.B) {
	for _, bc := range []struct {
		name   string
		inject bool
	}{{"plain", false}, {"injected-native", true}} {
		b.Run(bc.name, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				pod := samplePod(fmt.Sprintf("bench-%s-%d", bc.name, i), podSpec{mode: inject.ModeNative})
				if !bc.inject {
					delete(pod.Labels, inject.InjectLabel)
				}
				total += timeToAppRunning(b, pod)
				deletePod(b, pod)
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/app-start")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// timeToAppRunning creates pod and returns how long until its app container ran.
func timeToAppRunning(b *testing.B, pod *corev1.Pod) time.Duration {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", pod.Name).String()})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	start := time.Now()
	createPod(b, pod)
	for ev := range w.ResultChan() {
		if p, ok := ev.Object.(*corev1.Pod); ok {
			if s := status(p, "app"); s != nil && s.State.Running != nil {
				return time.Since(start)
			}
		}
	}
	b.Fatalf("pod %s: app not running within the deadline", pod.Name)
	return 0
}

// BenchmarkFigChangeToPod: the Fig emulator serves a changed value (its "seed applied" log line) ->
// the app inside a running native pod has re-read the file holding it (its loadedAt, after the
// agent's POST /reload). Both times come from the same host clock. values.yaml polls Fig every 5s,
// so this is about half a poll interval on average plus the render.
func BenchmarkFigChangeToPod(b *testing.B) {
	const name = "bench-fig-change"
	createPod(b, samplePod(name, podSpec{mode: inject.ModeNative, notify: "http://127.0.0.1:8080/reload"}))
	waitPod(b, name, "Ready", 2*time.Minute, ready)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		location := fmt.Sprintf("Bench-%d-%d", time.Now().Unix(), i)
		old, figAt := editSeed(b, func(seed string) string { return locationRe.ReplaceAllString(seed, "${1}"+location) })
		if i == 0 {
			defer editSeed(b, func(string) string { return old })
		}
		loadedAt := waitAppLoaded(b, name, location, 2*time.Minute)
		total += loadedAt.Sub(figAt)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/fig-change-to-app")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkRelayChangeToPod: the same change, but arriving through Fig's web hook and the relay
// (TestRelayWebHooks' setup: the chart with relay.enabled, the emulator's web hook client for the
// relay's Service, the pod polling Fig only every 10 minutes), one change per iteration after one
// warm-up change. Reports the median and the 99th percentile (nearest rank: the maximum below 100
// changes).
func BenchmarkRelayChangeToPod(b *testing.B) {
	enableRelay(b, longFigPoll)
	const name = "bench-relay-change"
	createPod(b, samplePod(name, podSpec{mode: inject.ModeNative, notify: "http://127.0.0.1:8080/reload"}))
	waitPod(b, name, "Ready", 2*time.Minute, ready)
	waitSubscribed(b, []string{name}, 1)
	// Not measured: the relay's first hook verifies Fig's secret with bcrypt (work factor 11, about
	// 0.3 s here); it remembers the secret's digest for every later one.
	hookChange(b, fmt.Sprintf("Warm-%d", time.Now().Unix()), name)
	var latencies []time.Duration
	for i := 0; b.Loop(); i++ {
		latencies = append(latencies, hookChange(b, fmt.Sprintf("Bench-%d-%d", time.Now().Unix(), i), name)...)
	}
	b.ReportMetric(float64(quantile(latencies, 0.50).Microseconds())/1000, "ms/p50-hook-to-app")
	b.ReportMetric(float64(quantile(latencies, 0.99).Microseconds())/1000, "ms/p99-hook-to-app")
	b.ReportMetric(0, "ns/op")
}

// waitAppLoaded waits up to limit until the app's last load holds Location=location and returns its
// loadedAt. Polling only finds the load; the time measured is the app's own loadedAt.
func waitAppLoaded(tb testing.TB, pod, location string, limit time.Duration) time.Time {
	tb.Helper()
	var loadedAt time.Time
	testutil.EventuallyEvery(tb, "pod "+pod+": the app loads Location="+location, limit, 100*time.Millisecond, func() bool {
		raw, err := cs.CoreV1().Pods(ns).ProxyGet("http", pod, "8080", "/", nil).DoRaw(context.Background())
		var st struct {
			LoadedAt time.Time      `json:"loadedAt"`
			Config   map[string]any `json:"config"`
		}
		if err == nil && json.Unmarshal(raw, &st) == nil && st.Config["Location"] == location {
			loadedAt = st.LoadedAt
			return true
		}
		return false
	})
	return loadedAt
}
