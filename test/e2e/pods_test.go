//go:build e2e

package e2e

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fig-injector/fig-injector/injector/inject"
)

// restrictedContainer passes the restricted Pod Security Standard on its own,
// so any violation in a stored pod comes from what the webhook added.
func restrictedContainer(name string) corev1.Container {
	uid := int64(1000)
	no, yes := false, true
	return corev1.Container{
		Name:  name,
		Image: "registry.invalid/orders:1",
		SecurityContext: &corev1.SecurityContext{
			RunAsUser: &uid, RunAsNonRoot: &yes, AllowPrivilegeEscalation: &no,
			Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
}

// newPod is an opted-in pod with one app container "app".
func newPod(name string, labels, annotations map[string]string) *corev1.Pod {
	l := map[string]string{inject.InjectLabel: "true"}
	maps.Copy(l, labels)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l, Annotations: annotations},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{restrictedContainer("app")}},
	}
}

func basicAnnotations(kv ...string) map[string]string {
	a := map[string]string{
		inject.ClientNameAnnotation:   "OrderService",
		inject.ClientSecretAnnotation: "orders-fig/secret",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i]] = kv[i+1]
	}
	return a
}

// agentIn returns the injected long-running agent (native or classic), or nil.
func agentIn(p *corev1.Pod) *corev1.Container {
	for _, list := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range list {
			if list[i].Name == inject.AgentContainerName {
				return &list[i]
			}
		}
	}
	return nil
}

func containerNamed(list []corev1.Container, name string) *corev1.Container {
	i := slices.IndexFunc(list, func(c corev1.Container) bool { return c.Name == name })
	if i < 0 {
		return nil
	}
	return &list[i]
}

func hasEnv(c corev1.Container, name string) bool {
	return slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
}

func envValue(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}
