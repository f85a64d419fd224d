//go:build realnode

package realnode

import (
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// The walkthrough's namespace (restricted Pod Security enforced), its ServiceAccount and the values its
// seed (examples/kind/manifests/fig-dev-seed.yaml) and sample-app.yaml give the sample app: the tests'
// pods are the sample app with other modes, users and notifications.
const (
	ns            = "demo"
	appImage      = "localhost/fig-sampleapp:kind"
	productImage  = "localhost/fig-injector:kind"       // examples/kind/values.yaml image
	agentImage    = "localhost/fig-injector-agent:kind" // the chart's default: <image.repository>-agent
	appUID        = 1000                                // not the agent's 65532
	agentUID      = 65532
	clientID      = "3c9e5a7b-2d4f-4a6c-8e0b-1f2a3b4c5d6e"
	seedConfigMap = "fig-dev-seed"
	figSecret     = "5b2c7d9e-4f1a-4b3c-8d5e-6f7a8b9c0d1e"
)

// secretValues are the seed's secret values (and prefixes of the rotated ones): no log may hold any.
var secretValues = []string{figSecret, hookSecret, "kind-only-password", "kind-api-key-", "kind-webhook-key-", "realnode-api-key-"}

// podSpec says how one test pod differs from the sample app of the walkthrough.
type podSpec struct {
	mode    inject.Mode
	fsGroup *int64
	notify  string // fig-injector.io/notify; "" for none
	uid     int64  // the app's user and group; appUID when 0
}

func samplePod(name string, s podSpec) *corev1.Pod {
	uid := s.uid
	if uid == 0 {
		uid = appUID
	}
	ann := map[string]string{
		inject.ClientNameAnnotation:     "OrderService",
		inject.ClientSecretAnnotation:   "orders-fig/secret",
		inject.KeyVaultAnnotation:       "https://orders-kv.fig-dev.svc/",
		inject.KeyVaultPrefixAnnotation: "OrderService--",
		inject.ModeAnnotation:           string(s.mode),
		inject.AzureClientIDAnnotation:  clientID,
	}
	if s.notify != "" {
		ann[inject.NotifyAnnotation] = s.notify
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, Annotations: ann,
			Labels: map[string]string{inject.InjectLabel: "true", "realnode-test": "true"},
		},
		Spec: corev1.PodSpec{
			ServiceAccountName:            "orders",
			AutomountServiceAccountToken:  ptr(false),
			TerminationGracePeriodSeconds: ptr(int64(5)),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot: ptr(true), FSGroup: s.fsGroup,
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{appContainer(uid)},
		},
	}
}

// appContainer is the sample app as sample-app.yaml runs it, as user and group uid.
func appContainer(uid int64) corev1.Container {
	return corev1.Container{
		Name: "app", Image: appImage, ImagePullPolicy: corev1.PullIfNotPresent,
		Args:  []string{"--config=/fig/appsettings.json", "--listen=:8080"},
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromString("http")}},
			PeriodSeconds: 1,
		},
		SecurityContext: &corev1.SecurityContext{
			RunAsUser: ptr(uid), RunAsGroup: ptr(uid), AllowPrivilegeEscalation: ptr(false),
			ReadOnlyRootFilesystem: ptr(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// createPod creates pod through the admission chain (our webhook among it) and deletes it when the test ends.
func createPod(t testing.TB, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	got, err := cs.CoreV1().Pods(pod.Namespace).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s: %v", pod.Name, err)
	}
	t.Cleanup(func() { deletePod(t, got) })
	return got
}

// deletePod deletes pod and waits until the API no longer has it (the kubelet has stopped and removed it).
func deletePod(t testing.TB, pod *corev1.Pod) {
	t.Helper()
	err := cs.CoreV1().Pods(pod.Namespace).Delete(context.Background(), pod.Name, metav1.DeleteOptions{})
	if err != nil && !strings.Contains(err.Error(), "not found") {
		t.Errorf("delete pod %s: %v", pod.Name, err)
		return
	}
	testutil.Eventually(t, "pod "+pod.Name+" gone", 60*time.Second, func() bool {
		_, err := cs.CoreV1().Pods(pod.Namespace).Get(context.Background(), pod.Name, metav1.GetOptions{})
		return err != nil
	})
}

func getPod(t testing.TB, name string) *corev1.Pod {
	t.Helper()
	p, err := cs.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get pod %s: %v", name, err)
	}
	return p
}

// waitPod polls the pod until cond holds and returns it; on time-out it fails with the pod's state.
func waitPod(t testing.TB, name, what string, limit time.Duration, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var p *corev1.Pod
	deadline := time.Now().Add(limit)
	testutil.Eventually(t, name+": "+what, limit+time.Second, func() bool {
		p = getPod(t, name)
		if cond(p) {
			return true
		}
		if time.Now().After(deadline) {
			t.Logf("pod %s: %s", name, describe(p))
		}
		return false
	})
	return p
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// status returns the status of the container (or init container) named name.
func status(p *corev1.Pod, name string) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

func describe(p *corev1.Pod) string {
	b, _ := json.Marshal(p.Status)
	return string(b)
}

// appState is what the sample app serves on GET / (its state type), fetched through the API server's
// pod proxy.
type appState struct {
	Mode       string         `json:"mode"`
	Generation int            `json:"generation"`
	Trigger    string         `json:"trigger"`
	Changed    []string       `json:"changed"`
	Error      string         `json:"error"`
	Config     map[string]any `json:"config"` // masked: secret-looking values are "****"
}

func getAppState(t testing.TB, pod string) (appState, error) {
	t.Helper()
	var s appState
	raw, err := cs.CoreV1().Pods(ns).ProxyGet("http", pod, "8080", "/", nil).DoRaw(context.Background())
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(raw, &s)
}

// fileInPod reads the rendered file inside the app container, as the app's user: the sample app
// prints it (the image has no shell or cat).
func fileInPod(t testing.TB, pod string) (map[string]any, error) {
	t.Helper()
	out, err := kubectl(t, "-n", ns, "exec", pod, "-c", "app", "--",
		"/sampleapp", "--config=/fig/appsettings.json", "--print", "--show-secrets")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	return doc, json.Unmarshal([]byte(out), &doc)
}

func kubectl(t testing.TB, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("kubectl", args...).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), &cmdError{args: args, stderr: string(ee.Stderr), err: err}
	}
	return string(out), err
}

type cmdError struct {
	args   []string
	stderr string
	err    error
}

func (e *cmdError) Error() string {
	return "kubectl " + strings.Join(e.args, " ") + ": " + e.err.Error() + ": " + e.stderr
}

// waitFileKey waits until the rendered file inside the pod has want at key (the message never
// quotes the value: it may be a secret).
func waitFileKey(t testing.TB, pod, key, want string, limit time.Duration) {
	t.Helper()
	// An exec per poll: no faster than the agent's own polls need.
	testutil.EventuallyEvery(t, pod+": the new value of "+key+" in the file", limit, 500*time.Millisecond, func() bool {
		d, err := fileInPod(t, pod)
		return err == nil && testutil.JSONKey(d, key) == want
	})
}

// redact keeps a value's shape for messages without printing it.
func redact(s string) string {
	if len(s) < 4 {
		return "…"
	}
	return s[:2] + "…"
}

// changeSeed rewrites the emulators' seed (the ConfigMap the dev pod watches) with edit, waits until
// the emulators applied it, and returns a func restoring (and awaiting) the previous seed.
func changeSeed(t testing.TB, edit func(seed string) string) (restore func()) {
	t.Helper()
	old, _ := editSeed(t, edit)
	return func() { editSeed(t, func(string) string { return old }) }
}

// editSeed writes edit(seed) to the seed ConfigMap and returns the seed before and the time the
// emulators logged "seed applied" for it: the kubelet refreshes the dev pod's volume on its sync
// period (hack/realnode/up.sh: syncFrequency), then dev re-reads the watched file.
func editSeed(t testing.TB, edit func(seed string) string) (old string, appliedAt time.Time) {
	t.Helper()
	ctx := context.Background()
	c, err := cs.CoreV1().ConfigMaps("fig-dev").Get(ctx, seedConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get seed: %v", err)
	}
	old = c.Data["seed.yaml"]
	if c.Data["seed.yaml"] = edit(old); c.Data["seed.yaml"] == old {
		t.Fatal("the seed edit changed nothing")
	}
	applied := len(seedAppliedTimes(t))
	if _, err := cs.CoreV1().ConfigMaps("fig-dev").Update(ctx, c, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update seed: %v", err)
	}
	// Each poll reads the dev pod's whole log: not every 10 ms.
	testutil.EventuallyEvery(t, "the emulators applied the edited seed", 2*time.Minute, 200*time.Millisecond, func() bool {
		if times := seedAppliedTimes(t); len(times) > applied {
			appliedAt = times[applied]
			return true
		}
		return false
	})
	return old, appliedAt
}

// seedAppliedTimes returns the times of the emulators' "seed applied" log lines (dev logs JSON).
func seedAppliedTimes(t testing.TB) []time.Time {
	t.Helper()
	pods, err := cs.CoreV1().Pods("fig-dev").List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=fig-dev"})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("the fig-dev pod: %v (%d pods)", err, len(pods.Items))
	}
	raw, err := cs.CoreV1().Pods("fig-dev").GetLogs(pods.Items[0].Name, &corev1.PodLogOptions{}).DoRaw(context.Background())
	if err != nil {
		t.Fatalf("logs of %s: %v", pods.Items[0].Name, err)
	}
	var out []time.Time
	for _, l := range strings.Split(string(raw), "\n") {
		var line struct {
			Time time.Time `json:"time"`
			Msg  string    `json:"msg"`
		}
		if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "seed applied" {
			out = append(out, line.Time)
		}
	}
	return out
}

// locationRe and apiKeyRe find the Fig setting Location and the Key Vault secret api-key in the seed.
var (
	locationRe = regexp.MustCompile(`(\{ name: Location, type: string, value: )[^ }]+`)
	apiKeyRe   = regexp.MustCompile(`(- name: api-key\n\s+value: )\S+`)
)

// podLogs returns the logs of every container and init container of pod, previous runs included.
func podLogs(t testing.TB, p *corev1.Pod) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		for _, previous := range []bool{false, true} {
			raw, err := cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: c.Name, Previous: previous}).
				DoRaw(context.Background())
			if err == nil {
				out[c.Name] += string(raw)
			}
		}
	}
	return out
}

// checkNoSecretInLogs fails if any container log of pod holds a secret value.
func checkNoSecretInLogs(t testing.TB, p *corev1.Pod) {
	t.Helper()
	for c, l := range podLogs(t, p) {
		for _, s := range secretValues {
			if strings.Contains(l, s) {
				t.Errorf("kubectl logs %s/%s -c %s holds a secret value (%s)", p.Namespace, p.Name, c, redact(s))
			}
		}
	}
}

// Runs last (file order): whatever ran before, `kubectl logs` of every container still on the node —
// the webhook, the emulators, the walkthrough's app and agent — holds no secret value.
func TestNoSecretInAnyContainerLog(t *testing.T) {
	for _, namespace := range []string{"fig-system", "fig-dev", ns} {
		pods, err := cs.CoreV1().Pods(namespace).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range pods.Items {
			checkNoSecretInLogs(t, &pods.Items[i])
		}
	}
}
