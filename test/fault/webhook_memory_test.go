package fault

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fig-injector/fig-injector/injector/dev/devca"
	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/injector/webhook"
)

// chartMemoryLimit is the webhook's memory limit in the chart (values.yaml).
const chartMemoryLimit = 128 << 20

const webhookConfig = `
image: ghcr.io/fig-injector/fig-injector:v1.0.0
nativeSidecar: true
figApiUri: https://fig-api.fig.svc:8080
allowedKeyVaultSuffixes: [vault.azure.net]
`

// webhookChild runs the real webhook (webhook.Run, as `fig-injector
// webhook` does) from the files in dir, told the chart's memory limit, and
// logs JSON to stdout until SIGTERM.
func webhookChild(dir string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	err := webhook.Run(ctx, webhook.Options{
		Listen: "127.0.0.1:0", CertFile: filepath.Join(dir, devca.CertFile), KeyFile: filepath.Join(dir, devca.KeyFile),
		ConfigFile: filepath.Join(dir, "webhook.yaml"), Kubeconfig: "", MemoryLimit: chartMemoryLimit,
	}, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestWebhookSurvivesTheWorstConcurrentReviewsUnderItsMemoryLimit is the
// bounded load test of issue 12 item 4: the webhook runs in a process of
// its own, told the chart's 128Mi limit, while 16 clients send, at once,
// the reviews that cost it the most memory: opted-in pods of thousands of
// near-empty containers (each gets a mount, so each is a patch operation;
// about 60× the body in heap) just under the body limit, and bodies over
// it, declared and chunked. Before, 8 such reviews at once took it past
// 128Mi (the kernel would OOM-kill it). Now the process's peak RSS (VmHWM,
// counted by the kernel) stays under the limit, every request is answered
// (200, or 413/429/400 for what does not fit), some worst-case pods are
// injected, and a normal pod is injected afterwards.
func TestWebhookSurvivesTheWorstConcurrentReviewsUnderItsMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	ca, err := devca.New()
	must(t, err)
	leaf, err := ca.Issue()
	must(t, err)
	must(t, devca.WriteLeaf(dir, leaf))
	must(t, os.WriteFile(filepath.Join(dir, "webhook.yaml"), []byte(webhookConfig), 0o600))

	cmd := child(t, "webhook", dir)
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	addr := serving(t, stdout, exited, cmd.Wait)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: ca.ClientTLSConfig(), MaxIdleConnsPerHost: 16}}
	url := "https://" + addr + "/mutate"

	worst := admissionReview(t, worstPod(int(webhook.ReviewBodyLimit(chartMemoryLimit))*19/20))
	over := admissionReview(t, worstPod(3<<20))
	t.Logf("worst-case review %d KiB, limit %d KiB", len(worst)>>10, webhook.ReviewBodyLimit(chartMemoryLimit)>>10)
	type answer struct {
		shape string
		code  int
	}
	const clients, rounds = 16, 3
	answers := make(chan answer, clients*rounds)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				shape, body := "worst", io.Reader(bytes.NewReader(worst))
				switch (i + r) % 4 {
				case 2:
					shape, body = "declared over", bytes.NewReader(over)
				case 3:
					shape, body = "chunked over", struct{ io.Reader }{bytes.NewReader(over)}
				}
				resp, err := client.Post(url, "application/json", body)
				if err != nil {
					t.Errorf("%s review: %v (did the webhook die?)", shape, err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				answers <- answer{shape, resp.StatusCode}
			}
		}()
	}
	wg.Wait()
	close(answers)
	counts := map[answer]int{}
	for a := range answers {
		counts[a]++
		if a.code != http.StatusOK && a.code != http.StatusTooManyRequests && a.code != http.StatusRequestEntityTooLarge && a.code != http.StatusBadRequest {
			t.Errorf("%s review answered %d", a.shape, a.code)
		}
	}
	t.Logf("answers: %v", counts)
	if counts[answer{"worst", http.StatusOK}] == 0 {
		t.Error("no worst-case review was served: the limits refuse what they should bound")
	}
	if counts[answer{"declared over", http.StatusOK}]+counts[answer{"chunked over", http.StatusOK}] > 0 {
		t.Error("a review over the body limit was served")
	}

	normal := admissionReview(t, normalPod())
	resp, err := client.Post(url, "application/json", bytes.NewReader(normal))
	must(t, err)
	var out admissionv1.AdmissionReview
	must(t, json.NewDecoder(resp.Body).Decode(&out))
	resp.Body.Close()
	if out.Response == nil || !out.Response.Allowed || len(out.Response.Patch) == 0 {
		t.Errorf("a normal pod after the load was not injected: %+v", out.Response)
	}
	peak := vmHWM(t, cmd.Process.Pid)
	t.Logf("peak RSS %.1f MiB of the %d MiB limit", float64(peak)/(1<<20), chartMemoryLimit>>20)
	if peak >= chartMemoryLimit {
		t.Errorf("peak RSS %d bytes reached the chart's memory limit %d: the kernel would have OOM-killed the webhook", peak, chartMemoryLimit)
	}
}

// serving reads the child's log until it says where it serves.
func serving(t *testing.T, stdout io.Reader, exited chan<- error, wait func() error) string {
	t.Helper()
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal(lines.Bytes(), &rec) == nil && rec.Msg == "webhook serving" {
			go func() {
				_, _ = io.Copy(io.Discard, stdout)
				exited <- wait()
			}()
			return rec.Addr
		}
	}
	t.Fatal("the webhook exited before serving")
	return ""
}

// worstPod is an opted-in pod of as many near-empty containers as fit in
// about size bytes of JSON (each is {"name":"c<n>","resources":{}}).
func worstPod(size int) *corev1.Pod {
	pod := normalPod()
	for i := 0; i < size/34; i++ {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "c" + strconv.Itoa(i)})
	}
	return pod
}

func normalPod() *corev1.Pod {
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "shop", Labels: map[string]string{inject.InjectLabel: "true"},
			Annotations: map[string]string{inject.ClientNameAnnotation: "OrderService", inject.ClientSecretAnnotation: "fig/secret"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/orders:1"}}},
	}
}

func admissionReview(t *testing.T, pod *corev1.Pod) []byte {
	t.Helper()
	raw, err := json.Marshal(pod)
	must(t, err)
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{UID: "load", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource: metav1.GroupVersionResource{Version: "v1", Resource: "pods"}, Namespace: pod.Namespace,
			Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}},
	})
	must(t, err)
	return body
}

// vmHWM is a process's peak resident set size in bytes, as the kernel counts it.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	must(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			must(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}
