//go:build realnode

package realnode

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// Every mode, end to end on the node: the webhook (a pod from the product image, installed by the
// chart) injects the agent image; the kubelet runs it with its projected token; the agent renders the
// Fig settings and the Key Vault secrets; the sample app, running as uid 1000 (the agent is 65532),
// reads the 0440 file at its first start, without an fsGroup (through the supplementalGroups the
// webhook adds) and with one.
func TestModes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mode    inject.Mode
		fsGroup *int64
	}{
		{"native", inject.ModeNative, nil},
		{"native-fsgroup", inject.ModeNative, ptr(int64(3000))},
		{"classic", inject.ModeClassic, nil},
		{"init-only", inject.ModeInitOnly, nil},
		{"init-only-fsgroup", inject.ModeInitOnly, ptr(int64(3000))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "mode-" + tc.name
			created := createPod(t, samplePod(name, podSpec{mode: tc.mode, fsGroup: tc.fsGroup}))
			checkInjectedSpec(t, created, tc.mode, tc.fsGroup)
			p := waitPod(t, name, "Ready", 120*time.Second, ready)

			// The app loaded the file once, at its start, and found it complete: the agent (native
			// sidecar or init container) held it back until the first render. The app was not told
			// to reload (no notify), so a file that appeared later would show as an error here.
			st, err := getAppState(t, name)
			if err != nil {
				t.Fatalf("GET / of the app: %v", err)
			}
			if st.Generation != 1 || st.Trigger != "start" || st.Error != "" {
				t.Errorf("app state %+v, want generation 1 loaded at start without error", st)
			}
			if st.Mode != "0440" {
				t.Errorf("the app saw the file with mode %s, want 0440", st.Mode)
			}
			doc, err := fileInPod(t, name)
			if err != nil {
				t.Fatalf("read the file as the app (uid %d): %v", appUID, err)
			}
			checkRendered(t, doc)
			checkAgentRunning(t, p, tc.mode)
			checkNoSecretInLogs(t, p)
		})
	}
}

// checkInjectedSpec checks what the webhook made of the pod: the agent containers of the mode, the
// agent's own user, and a group that lets the app read the file.
func checkInjectedSpec(t *testing.T, p *corev1.Pod, mode inject.Mode, fsGroup *int64) {
	t.Helper()
	var inits, sidecars []string
	for _, c := range p.Spec.InitContainers {
		inits = append(inits, c.Name)
	}
	for _, c := range p.Spec.Containers {
		sidecars = append(sidecars, c.Name)
	}
	want := map[inject.Mode][2][]string{
		inject.ModeNative:   {{inject.AgentContainerName}, {"app"}},
		inject.ModeClassic:  {{inject.InitContainerName}, {"app", inject.AgentContainerName}},
		inject.ModeInitOnly: {{inject.InitContainerName}, {"app"}},
	}[mode]
	if !slices.Equal(inits, want[0]) || !slices.Equal(sidecars, want[1]) {
		t.Fatalf("%s pod: init containers %v, containers %v; want %v, %v", mode, inits, sidecars, want[0], want[1])
	}
	if mode == inject.ModeNative {
		if rp := p.Spec.InitContainers[0].RestartPolicy; rp == nil || *rp != corev1.ContainerRestartPolicyAlways {
			t.Errorf("native agent has restartPolicy %v, want Always", rp)
		}
	}
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		if c.Name == "app" {
			continue
		}
		if sc := c.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != agentUID {
			t.Errorf("agent container %s does not run as %d", c.Name, agentUID)
		}
		if c.Image != agentImage {
			t.Errorf("agent container %s runs %s, want the chart's agent image %s", c.Name, c.Image, agentImage)
		}
	}
	psc := p.Spec.SecurityContext
	if fsGroup == nil && psc.FSGroup != nil {
		t.Errorf("the webhook set fsGroup %d: the user set none", *psc.FSGroup)
	}
	if !slices.Contains(psc.SupplementalGroups, agentUID) {
		t.Errorf("supplementalGroups %v lack the agent's group %d", psc.SupplementalGroups, agentUID)
	}
}

// checkRendered checks the file holds the seed's Fig settings and the Key Vault secrets (by prefix and
// by the Fig reference), as the walkthrough's seed defines them.
func checkRendered(t *testing.T, doc map[string]any) {
	t.Helper()
	if testutil.JSONKey(doc, "Location") == "" || testutil.JSONKey(doc, "Database:Host") != "orders-db.demo.svc" {
		t.Errorf("Fig settings missing from the file: Location=%q Database:Host=%q",
			testutil.JSONKey(doc, "Location"), testutil.JSONKey(doc, "Database:Host"))
	}
	if v := testutil.JSONKey(doc, "PaymentApiKey"); !strings.HasPrefix(v, "kind-api-key-") && !strings.HasPrefix(v, "realnode-api-key-") {
		t.Errorf("PaymentApiKey (a Key Vault reference in Fig) not resolved: %q", redact(v))
	}
	if v := testutil.JSONKey(doc, "ConnectionStrings:Orders"); !strings.Contains(v, "Password=kind-only-password") {
		t.Errorf("ConnectionStrings:Orders (prefix secret) not in the file: %q", redact(v))
	}
}

// checkAgentRunning checks the long-running agent runs (native, classic) or the init agent finished
// and nothing keeps running (init-only).
func checkAgentRunning(t *testing.T, p *corev1.Pod, mode inject.Mode) {
	t.Helper()
	switch mode {
	case inject.ModeNative, inject.ModeClassic:
		if s := status(p, inject.AgentContainerName); s == nil || s.State.Running == nil {
			t.Errorf("%s agent not running: %s", mode, describe(p))
		}
	case inject.ModeInitOnly:
		s := status(p, inject.InitContainerName)
		if s == nil || s.State.Terminated == nil || s.State.Terminated.ExitCode != 0 {
			t.Errorf("init-only agent did not complete: %s", describe(p))
		}
	}
}

// The webhook that mutated every pod here is the chart's: a Deployment in fig-system running the
// product image, called by the API server through its Service (clientConfig.service, no URL).
func TestWebhookRunsAsAPod(t *testing.T) {
	ctx := context.Background()
	pods, err := cs.CoreV1().Pods("fig-system").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=fig-injector"})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("webhook pods in fig-system: %v (%d)", err, len(pods.Items))
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if img := p.Spec.Containers[0].Image; img != productImage || !ready(p) {
			t.Errorf("webhook pod %s: image %s, ready %v; want %s, ready", p.Name, img, ready(p), productImage)
		}
	}
	mwcs, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range mwcs.Items {
		for _, w := range m.Webhooks {
			if svc := w.ClientConfig.Service; svc != nil && svc.Namespace == "fig-system" && w.ClientConfig.URL == nil {
				found = true
			}
		}
	}
	if !found {
		t.Error("no MutatingWebhookConfiguration calls a Service in fig-system")
	}
}
