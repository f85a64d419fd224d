package inject_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/inject"
)

// TestAppVersionReachesTheAgent: the agent reports the application's
// version to Fig: the annotation when set, else the tag of the first app
// container's image (its digest without a tag, "latest" without either, as
// the runtime pulls it). It travels in the environment, so it also reaches
// an agent with a ConfigMap config.
func TestAppVersionReachesTheAgent(t *testing.T) {
	tests := []struct {
		name, image, annotation, want string
		configMap                     bool
	}{
		{"tag", "registry.example/orders:2.4.1", "", "2.4.1", false},
		{"tag on a registry with a port", "registry.example:5000/team/orders:1.0", "", "1.0", false},
		{"tag and digest", "orders:3.1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "", "3.1", false},
		{"digest only", "orders@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
		{"no tag", "registry.example:5000/orders", "", "latest", false},
		{"annotation wins", "orders:2.4.1", "2.4.1-hotfix", "2.4.1-hotfix", false},
		{"with a ConfigMap config", "orders:5.0", "", "5.0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []podOption{basic(), func(p *corev1.Pod) { p.Spec.Containers[0].Image = tt.image }}
			config := ""
			if tt.configMap {
				opts = []podOption{annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.ClientSecretAnnotation, "s/secret"),
					func(p *corev1.Pod) { p.Spec.Containers[0].Image = tt.image }}
				config = configYAML
			}
			if tt.annotation != "" {
				opts = append(opts, annotations(inject.AppVersionAnnotation, tt.annotation))
			}
			pod := newPod(opts...)
			if err := mutate(t, pod, testSettings(), config); err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, e := range pod.Spec.InitContainers[0].Env {
				if e.Name == inject.AppVersionEnvVar {
					got = e.Value
				}
			}
			if got != tt.want {
				t.Errorf("%s = %q, want %q", inject.AppVersionEnvVar, got, tt.want)
			}
		})
	}
}
