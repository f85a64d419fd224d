//go:build realnode

package realnode

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/fig-injector/fig-injector/injector/inject"
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
		applied := len(seedAppliedTimes(b))
		restore := changeSeed(b, func(seed string) string { return locationRe.ReplaceAllString(seed, "${1}"+location) })
		if i == 0 {
			defer restore()
		}
		figAt := waitSeedApplied(b, applied)
		loadedAt := waitAppLoaded(b, name, location)
		total += loadedAt.Sub(figAt)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/fig-change-to-app")
	b.ReportMetric(0, "ns/op")
}

// seedAppliedTimes returns the times of the emulators' "seed applied" log lines (JSON logs).
func seedAppliedTimes(b *testing.B) []time.Time {
	b.Helper()
	pods, err := cs.CoreV1().Pods("fig-dev").List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=fig-dev"})
	if err != nil || len(pods.Items) != 1 {
		b.Fatalf("the fig-dev pod: %v (%d pods)", err, len(pods.Items))
	}
	raw, err := cs.CoreV1().Pods("fig-dev").GetLogs(pods.Items[0].Name, &corev1.PodLogOptions{}).DoRaw(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var out []time.Time
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Time time.Time `json:"time"`
			Msg  string    `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "seed applied" {
			out = append(out, line.Time)
		}
	}
	return out
}

// waitSeedApplied waits for a "seed applied" line beyond the first n and returns its time.
func waitSeedApplied(b *testing.B, n int) time.Time {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if ts := seedAppliedTimes(b); len(ts) > n {
			return ts[n]
		}
		time.Sleep(200 * time.Millisecond) // log polling; the measured time comes from the line itself
	}
	b.Fatal("the emulators did not apply the edited seed within 2 minutes")
	return time.Time{}
}

// waitAppLoaded waits until the app's last load holds Location=location and returns its loadedAt.
func waitAppLoaded(b *testing.B, pod, location string) time.Time {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		raw, err := cs.CoreV1().Pods(ns).ProxyGet("http", pod, "8080", "/", nil).DoRaw(context.Background())
		var st struct {
			LoadedAt time.Time      `json:"loadedAt"`
			Config   map[string]any `json:"config"`
		}
		if err == nil && json.Unmarshal(raw, &st) == nil && st.Config["Location"] == location {
			return st.LoadedAt
		}
		time.Sleep(100 * time.Millisecond) // polling only finds the load; its time is the app's own
	}
	b.Fatalf("pod %s: the app did not load Location=%s within 2 minutes", pod, location)
	return time.Time{}
}
