package inject_test

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/inject"
)

// podOption changes a pod built by newPod.
type podOption func(*corev1.Pod)

// newPod is an opted-in pod with one restricted-compliant app container
// "app", changed by opts.
func newPod(opts ...podOption) *corev1.Pod {
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "shop", Labels: map[string]string{inject.InjectLabel: "true"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{appContainer("app")},
		},
	}
	for _, o := range opts {
		o(pod)
	}
	return pod
}

func appContainer(name string) corev1.Container {
	return corev1.Container{Name: name, Image: "registry.example/orders:1"}
}

// annotations sets key/value pairs.
func annotations(kv ...string) podOption {
	return func(p *corev1.Pod) {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Annotations[kv[i]] = kv[i+1]
		}
	}
}

// basic is the minimal valid request: a client name and a Secret.
func basic(kv ...string) podOption {
	return annotations(append([]string{
		inject.ClientNameAnnotation, "OrderService",
		inject.ClientSecretAnnotation, "orders-fig/secret",
	}, kv...)...)
}

func withContainer(name string) podOption {
	return func(p *corev1.Pod) { p.Spec.Containers = append(p.Spec.Containers, appContainer(name)) }
}

func withInitContainer(name string) podOption {
	return func(p *corev1.Pod) { p.Spec.InitContainers = append(p.Spec.InitContainers, appContainer(name)) }
}

func withPodUser(uid int64) podOption {
	return func(p *corev1.Pod) { p.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: &uid} }
}

func withMount(container, volume, mountPath string) podOption {
	return func(p *corev1.Pod) {
		for i := range p.Spec.Containers {
			if p.Spec.Containers[i].Name == container {
				p.Spec.Containers[i].VolumeMounts = append(p.Spec.Containers[i].VolumeMounts, corev1.VolumeMount{Name: volume, MountPath: mountPath})
			}
		}
	}
}

// testSettings are chart defaults for a public-cloud cluster with native sidecars.
func testSettings() inject.Settings {
	limit := resource.MustParse("8Mi")
	return inject.Settings{
		Image:                   "ghcr.io/fig-injector/fig-injector:v1.0.0",
		NativeSidecar:           true,
		VolumeSizeLimit:         &limit,
		FigAPIURI:               "https://fig-api.fig.svc:8080",
		FigPollInterval:         config.Dur(30e9),
		AllowedFigURIs:          []string{"https://fig-api.fig-blue.svc:8080/api"},
		AllowedKeyVaultSuffixes: []string{"vault.azure.net"},
	}
}
