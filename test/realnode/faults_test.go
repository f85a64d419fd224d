//go:build realnode

package realnode

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// Fig is down when a native pod starts: the app is held back (not started, the pod not Ready) while
// the agent retries, and once Fig is back the pod becomes Ready and the app finds the file complete.
func TestFigDownAtStart(t *testing.T) {
	scaleEmulators(t, 0)
	defer scaleEmulators(t, 1)

	const name = "fault-fig-down"
	createPod(t, samplePod(name, podSpec{mode: inject.ModeNative}))
	// The kubelet's own account that the agent is running but not started (its startup probe fails).
	waitEvent(t, name, "Unhealthy", "Startup probe failed", 90*time.Second)
	p := getPod(t, name)
	if s := status(p, "app"); s != nil && (s.State.Running != nil || s.State.Terminated != nil) || ready(p) {
		t.Fatalf("the app started while Fig was down: %s", describe(p))
	}

	scaleEmulators(t, 1)
	waitPod(t, name, "Ready once Fig is back", 180*time.Second, ready)
	st, err := getAppState(t, name)
	if err != nil || st.Generation != 1 || st.Trigger != "start" || st.Error != "" {
		t.Errorf("app state %+v (%v), want the file complete at its start", st, err)
	}
}

// A vault answering 403 for a secret the pod needs: the native pod waits (not Ready); the agent's log,
// the pod's events (the kubelet's "Startup probe failed: …", carrying the exec probe's line) and, once
// its first render times out (the agent's initTimeout, 2m), the pod's status (the agent's one-line
// termination message) — what `kubectl describe pod` shows — name the secret and the identity (the
// application ID of the pod's workload identity), never a value.
func TestVaultForbidden(t *testing.T) {
	forbid := regexp.MustCompile(`(\n(\s+)- name: api-key\n\s+value: \S+)`)
	defer changeSeed(t, func(seed string) string { return forbid.ReplaceAllString(seed, "${1}\n${2}  forbidden: true") })()

	const name = "fault-kv-403"
	createPod(t, samplePod(name, podSpec{mode: inject.ModeNative}))
	names := func(s string) bool {
		return strings.Contains(s, "403") && strings.Contains(s, "get secret api-key") && strings.Contains(s, "appid="+clientID)
	}
	testutil.Eventually(t, "the agent logs the 403 with the secret and the identity", 90*time.Second, func() bool {
		return names(podLogs(t, getPod(t, name))[inject.AgentContainerName])
	})
	e := waitEventMatching(t, name, "Unhealthy", "naming the secret and the identity", 90*time.Second, func(msg string) bool {
		// The service's own "appid=", and the agent's fix naming AZURE_CLIENT_ID's value.
		return strings.HasPrefix(msg, "Startup probe failed: fig-injector: not ready: ") && names(msg) &&
			strings.Contains(msg, "(client ID "+clientID+")")
	})
	t.Logf("event: %s", e.Message)
	p := waitPod(t, name, "the agent's termination message naming the secret and the identity", 200*time.Second, func(p *corev1.Pod) bool {
		s := status(p, inject.AgentContainerName)
		return s != nil && s.LastTerminationState.Terminated != nil && names(s.LastTerminationState.Terminated.Message)
	})
	// The agent's own one-line reason, not the log tail.
	if msg := status(p, inject.AgentContainerName).LastTerminationState.Terminated.Message; strings.Contains(msg, "\n") ||
		!strings.HasPrefix(msg, "fig-injector: gave up after ") {
		t.Errorf("termination message %q, want the agent's one-line reason", msg)
	}
	if s := status(p, "app"); ready(p) || s != nil && s.State.Running != nil {
		t.Errorf("the app started without its Key Vault secret: %s", describe(p))
	}
	checkNoSecretInLogs(t, p)
}

// scaleEmulators sets the replicas of the emulators' Deployment and waits until that many are ready
// (0: until no pod of it is left, so its Service has no endpoint).
func scaleEmulators(t *testing.T, n int32) { scaleDeployment(t, "fig-dev", "fig-dev", n) }

// scaleDeployment does the same for any Deployment whose pods are labelled app.kubernetes.io/name=name.
func scaleDeployment(t *testing.T, namespace, name string, n int32) {
	t.Helper()
	ctx := context.Background()
	sc, err := cs.AppsV1().Deployments(namespace).GetScale(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get scale: %v", err)
	}
	sc.Spec.Replicas = n
	if _, err := cs.AppsV1().Deployments(namespace).UpdateScale(ctx, name, sc, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("scale %s/%s to %d: %v", namespace, name, n, err)
	}
	testutil.Eventually(t, name+" scaled", 120*time.Second, func() bool {
		pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + name})
		if err != nil {
			return false
		}
		readyPods := 0
		for i := range pods.Items {
			if ready(&pods.Items[i]) {
				readyPods++
			}
		}
		return int32(len(pods.Items)) == n && int32(readyPods) == n
	})
}

// waitEvent waits for an event of pod with reason and a message containing text.
func waitEvent(t *testing.T, pod, reason, text string, limit time.Duration) {
	t.Helper()
	waitEventMatching(t, pod, reason, text, limit, func(msg string) bool { return strings.Contains(msg, text) })
}

// waitEventMatching waits for an event of pod with reason and a message that matches (what
// describes the wait) and returns it.
func waitEventMatching(t *testing.T, pod, reason, what string, limit time.Duration, matches func(string) bool) corev1.Event {
	t.Helper()
	var found corev1.Event
	testutil.EventuallyEvery(t, pod+": event "+reason+" "+what, limit, 200*time.Millisecond, func() bool {
		for _, e := range podEvents(t, pod) {
			if e.Reason == reason && matches(e.Message) {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

func podEvents(t *testing.T, pod string) []corev1.Event {
	t.Helper()
	sel := fields.AndSelectors(fields.OneTermEqualSelector("involvedObject.name", pod),
		fields.OneTermEqualSelector("involvedObject.kind", "Pod")).String()
	list, err := cs.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return nil
	}
	return list.Items
}
