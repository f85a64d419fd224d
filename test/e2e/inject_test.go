//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fig-injector/fig-injector/injector/inject"
)

// create creates the pod in the restricted namespace through the real
// admission chain and returns the stored pod (read back from the API).
func create(t *testing.T, pod *corev1.Pod) (*corev1.Pod, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pods := env.cluster.client.CoreV1().Pods(restrictedNS)
	if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = pods.Delete(context.Background(), pod.Name, metav1.DeleteOptions{}) })
	return pods.Get(ctx, pod.Name, metav1.GetOptions{})
}

func mustCreate(t *testing.T, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	stored, err := create(t, pod)
	if err != nil {
		t.Fatalf("create pod %s: %v", pod.Name, err)
	}
	return stored
}

// TestRestrictedIsEnforced makes sure the namespace really enforces the
// restricted standard, so the injection tests below prove something.
func TestRestrictedIsEnforced(t *testing.T) {
	pod := newPod("not-restricted", nil, nil)
	delete(pod.Labels, inject.InjectLabel)
	pod.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
	_, err := create(t, pod)
	if err == nil || !strings.Contains(err.Error(), "violates PodSecurity \"restricted:latest\"") {
		t.Fatalf("got %v, want a PodSecurity violation", err)
	}
}

// TestInjectModes stores a pod per mode in the restricted namespace and
// checks what the webhook added, as stored by the API server.
func TestInjectModes(t *testing.T) {
	tests := []struct {
		mode            inject.Mode
		inits, sidecars []string
	}{
		{inject.ModeNative, []string{inject.AgentContainerName}, []string{"app"}},
		{inject.ModeClassic, []string{inject.InitContainerName}, []string{"app", inject.AgentContainerName}},
		{inject.ModeInitOnly, []string{inject.InitContainerName}, []string{"app"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.mode), func(t *testing.T) {
			stored := mustCreate(t, newPod("mode-"+string(tc.mode), nil, basicAnnotations(inject.ModeAnnotation, string(tc.mode))))
			if got := names(stored.Spec.InitContainers); strings.Join(got, ",") != strings.Join(tc.inits, ",") {
				t.Errorf("init containers %v, want %v", got, tc.inits)
			}
			if got := names(stored.Spec.Containers); strings.Join(got, ",") != strings.Join(tc.sidecars, ",") {
				t.Errorf("containers %v, want %v", got, tc.sidecars)
			}
			checkInjected(t, stored)
			if tc.mode == inject.ModeNative {
				a := agentIn(stored)
				if a.RestartPolicy == nil || *a.RestartPolicy != corev1.ContainerRestartPolicyAlways || a.StartupProbe == nil || a.StartupProbe.Exec == nil || !slices.Contains(a.StartupProbe.Exec.Command, "probe") {
					t.Errorf("native sidecar: restartPolicy %v, startupProbe %+v", a.RestartPolicy, a.StartupProbe)
				}
			}
		})
	}
}

// checkInjected: one memory emptyDir with a sizeLimit, mounted read-only in
// the app, read-write in the agent; the agent's config in env.
func checkInjected(t *testing.T, p *corev1.Pod) {
	t.Helper()
	count := 0
	for _, v := range p.Spec.Volumes {
		if v.Name == inject.VolumeName {
			count++
			if v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory || v.EmptyDir.SizeLimit == nil {
				t.Errorf("volume %s = %+v, want a memory emptyDir with sizeLimit", v.Name, v.VolumeSource)
			}
		}
	}
	if count != 1 {
		t.Errorf("%d volumes named %s, want 1", count, inject.VolumeName)
	}
	app := containerNamed(p.Spec.Containers, "app")
	found := false
	for _, m := range app.VolumeMounts {
		if m.Name == inject.VolumeName {
			found = m.ReadOnly && m.MountPath == "/fig"
		}
	}
	if !found {
		t.Errorf("app mounts %+v, want %s read-only at /fig", app.VolumeMounts, inject.VolumeName)
	}
	for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
		if c.Name != inject.AgentContainerName && c.Name != inject.InitContainerName {
			continue
		}
		if !strings.Contains(envValue(&c, inject.ConfigEnvVar), "clientName: OrderService") {
			t.Errorf("%s: %s does not carry the config", c.Name, inject.ConfigEnvVar)
		}
		if sc := c.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != inject.DefaultRunAsUser || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: security context %+v", c.Name, sc)
		}
	}
}

func names(list []corev1.Container) []string {
	var out []string
	for _, c := range list {
		out = append(out, c.Name)
	}
	return out
}

// TestReinvocation: a webhook after ours adds a container, so the API
// server calls ours again (reinvocationPolicy IfNeeded). The stored pod has
// exactly one of everything we inject, and the new container got the mount.
func TestReinvocation(t *testing.T) {
	before := admissions(t, env.webhookURL)
	stored := mustCreate(t, newPod("reinvoked", map[string]string{extraSidecarLabel: "true"}, basicAnnotations()))
	after := admissions(t, env.webhookURL)
	if calls := after.total() - before.total(); calls != 2 {
		t.Errorf("our webhook was called %v times, want 2 (once, then reinvoked)", calls)
	}
	if got := names(stored.Spec.InitContainers); strings.Join(got, ",") != inject.AgentContainerName {
		t.Errorf("init containers %v, want exactly one agent", got)
	}
	checkInjected(t, stored)
	extra := containerNamed(stored.Spec.Containers, "extra")
	if extra == nil || len(extra.VolumeMounts) == 0 || extra.VolumeMounts[len(extra.VolumeMounts)-1].Name != inject.VolumeName {
		t.Errorf("container added after us has mounts %+v, want the shared volume (the reinvocation adds it)", extra)
	}

	// Re-submitting the stored pod under a new name changes nothing ours.
	again := stored.DeepCopy()
	again.ObjectMeta = metav1.ObjectMeta{Name: "resubmitted", Labels: stored.Labels, Annotations: stored.Annotations}
	again.Spec.NodeName = ""
	resub := mustCreate(t, again)
	if got := names(resub.Spec.InitContainers); strings.Join(got, ",") != inject.AgentContainerName {
		t.Errorf("re-submitted pod: init containers %v", got)
	}
	checkInjected(t, resub)
}

// TestDenials: bad annotations are refused by the API server with our message.
func TestDenials(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		want        string
	}{
		{"bad mode", basicAnnotations(inject.ModeAnnotation, "sidecar"),
			`admission webhook "inject.fig-injector.io" denied the request: fig-injector: fig-injector.io/mode: "sidecar" is not a mode; fix: use native, classic or init-only`},
		{"typo", basicAnnotations("fig-injector.io/keyvault-prefx", "x"), `fig-injector.io/keyvault-prefx: is not a fig-injector annotation; fix: check the spelling`},
		{"no client name", map[string]string{inject.ClientSecretAnnotation: "s/k"}, "fig-injector.io/client-name: is required"},
		{"mount taken", basicAnnotations(inject.OutputPathAnnotation, "/tmp/app.json", inject.ContainersAnnotation, "app"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pod := newPod("denied-"+strings.ReplaceAll(tc.name, " ", "-"), nil, tc.annotations)
			if tc.want == "" { // a pod whose app already mounts something at the output directory
				pod.Spec.Volumes = []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
				pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}}
				tc.want = `fig-injector.io/output-path: container "app" already mounts volume "tmp" at /tmp`
			}
			_, err := create(t, pod)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
}

// TestAllowlists: a pod cannot point the agent (and its token) elsewhere,
// through annotations or through a ConfigMap config the webhook reads.
func TestAllowlists(t *testing.T) {
	ctx := context.Background()
	cms := env.cluster.client.CoreV1().ConfigMaps(restrictedNS)
	for name, cfg := range map[string]string{
		"good-config": "fig:\n  clientName: OrderService\n  clientSecret: {file: /etc/fig-injector/client-secret/secret}\noutputs: [{path: /fig/appsettings.json}]\nlisten: \":9102\"\n",
		"evil-config": "fig:\n  clientName: OrderService\n  apiUri: https://fig.evil.example\noutputs: [{path: /fig/appsettings.json}]\nlisten: \":9102\"\n",
	} {
		if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"config.yaml": cfg}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name        string
		annotations map[string]string
		want        string // "" = admitted
	}{
		{"allowed fig uri", basicAnnotations(inject.FigAPIURIAnnotation, "https://fig-api.fig.svc:8080"), ""},
		{"other fig uri", basicAnnotations(inject.FigAPIURIAnnotation, "https://fig.evil.example"), `fig-injector.io/fig-api-uri: "https://fig.evil.example" is not in the allowlist`},
		{"userinfo", basicAnnotations(inject.FigAPIURIAnnotation, "https://fig-api.fig.svc:8080@evil.example"), "contains user info"},
		{"other vault", basicAnnotations(inject.KeyVaultAnnotation, "https://kv.vault.evil.example/", inject.KeyVaultPrefixAnnotation, "Orders--"), `fig-injector.io/keyvault: "https://kv.vault.evil.example/" is not under an allowed Key Vault DNS suffix`},
		{"good configmap", map[string]string{inject.ConfigConfigMapAnnotation: "good-config", inject.ClientSecretAnnotation: "orders-fig/secret"}, ""},
		{"evil configmap", map[string]string{inject.ConfigConfigMapAnnotation: "evil-config"}, `fig-injector.io/config-configmap: ConfigMap evil-config key config.yaml: fig.apiUri "https://fig.evil.example" is not in the allowlist`},
		{"missing configmap", map[string]string{inject.ConfigConfigMapAnnotation: "nope"}, `ConfigMap "nope" not found in namespace "e2e-restricted"`},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := create(t, newPod(fmt.Sprintf("allowlist-%d", i), nil, tc.annotations))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("denied: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
}
