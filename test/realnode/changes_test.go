//go:build realnode

package realnode

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// A running pod follows both sources. Two native pods: one told over HTTP (the app as uid 1000), one
// told with SIGHUP through the shared process namespace (the app as the agent's uid: a signal needs
// the same user, the restricted standard allows no CAP_KILL). The HTTP pod's agent is killed first:
// the app keeps running, the file stays, the kubelet restarts the agent, and the change proves it
// resumed. Then a Fig value and a Key Vault secret change in the emulators' seed and both reach the
// file inside both pods, and each app is told. No container log holds a secret. Deleting the pod
// leaves nothing on the node.
func TestChangesReachRunningPods(t *testing.T) {
	httpPod, sigPod := "follow-http", "follow-signal"
	createPod(t, samplePod(httpPod, podSpec{mode: inject.ModeNative, notify: "http://127.0.0.1:8080/reload"}))
	created := createPod(t, samplePod(sigPod, podSpec{mode: inject.ModeNative, notify: "signal:SIGHUP:sampleapp", uid: agentUID}))
	if sp := created.Spec.ShareProcessNamespace; sp == nil || !*sp {
		t.Fatal("a signal notification without shareProcessNamespace")
	}
	waitPod(t, httpPod, "Ready", 120*time.Second, ready)
	waitPod(t, sigPod, "Ready", 120*time.Second, ready)

	killAgent(t, httpPod)

	stamp := fmt.Sprint(time.Now().Unix())
	location, apiKey := "Rotterdam-"+stamp, "realnode-api-key-"+stamp
	defer changeSeed(t, func(seed string) string {
		return apiKeyRe.ReplaceAllString(locationRe.ReplaceAllString(seed, "${1}"+location), "${1}"+apiKey)
	})()
	for pod, trigger := range map[string]string{httpPod: "POST /reload", sigPod: "SIGHUP"} {
		waitFileKey(t, pod, "Location", location, 120*time.Second)
		waitFileKey(t, pod, "PaymentApiKey", apiKey, 120*time.Second)
		// the app re-read the file when told, and serves the new value
		testutil.Eventually(t, pod+": the app told ("+trigger+") of the new values", 30*time.Second, func() bool {
			st, err := getAppState(t, pod)
			return err == nil && st.Trigger == trigger && st.Error == "" && st.Config["Location"] == location
		})
		checkNoSecretInLogs(t, getPod(t, pod))
	}

	p := getPod(t, httpPod)
	deletePod(t, p)
	checkNothingLeft(t, p)
}

// killAgent SIGKILLs the native agent of pod through containerd, then checks the app kept running
// (same container, no restart), the file stayed readable, and the kubelet restarted the agent.
func killAgent(t *testing.T, pod string) {
	t.Helper()
	p := getPod(t, pod)
	agent, app := status(p, inject.AgentContainerName), status(p, "app")
	if agent == nil || app == nil || app.State.Running == nil {
		t.Fatalf("pod %s not running: %s", pod, describe(p))
	}
	id := strings.TrimPrefix(agent.ContainerID, "containerd://")
	out, err := exec.Command(os.Getenv("CTR"), "-a", os.Getenv("CONTAINERD_SOCK"), "-n", "k8s.io",
		"tasks", "kill", "-s", "SIGKILL", id).CombinedOutput()
	if err != nil {
		t.Fatalf("ctr tasks kill %s: %v: %s", id, err, out)
	}
	p = waitPod(t, pod, "agent restarted", 60*time.Second, func(p *corev1.Pod) bool {
		s := status(p, inject.AgentContainerName)
		return s != nil && s.RestartCount > agent.RestartCount && s.State.Running != nil && ready(p)
	})
	if s := status(p, "app"); s.RestartCount != app.RestartCount || !s.State.Running.StartedAt.Equal(&app.State.Running.StartedAt) {
		t.Errorf("the app restarted with the agent: before %+v, after %+v", app, s)
	}
	if doc, err := fileInPod(t, pod); err != nil {
		t.Errorf("file after the agent was killed: %v", err)
	} else {
		checkRendered(t, doc)
	}
}

// checkNothingLeft checks the node kept nothing of a deleted pod: no containers in containerd, no
// mounts (the memory volume, the projected token) and no pod directory in the kubelet's root.
func checkNothingLeft(t *testing.T, p *corev1.Pod) {
	t.Helper()
	uid := string(p.UID)
	podDir := filepath.Join(os.Getenv("NODE_STATE"), "kubelet", "root", "pods", uid)
	testutil.Eventually(t, "pod "+p.Name+" cleaned off the node", 60*time.Second, func() bool {
		out, err := exec.Command(os.Getenv("CTR"), "-a", os.Getenv("CONTAINERD_SOCK"), "-n", "k8s.io", "containers", "ls", "-q",
			`labels."io.kubernetes.pod.uid"==`+uid).Output()
		if err != nil || strings.TrimSpace(string(out)) != "" {
			return false
		}
		mounts, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil || strings.Contains(string(mounts), uid) {
			return false
		}
		_, err = os.Stat(podDir)
		return os.IsNotExist(err)
	})
}
