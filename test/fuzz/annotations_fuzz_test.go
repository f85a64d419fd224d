package fuzz

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fig-injector/fig-injector/injector/inject"
)

// FuzzParseRequest feeds arbitrary annotation values to inject.ParseRequest,
// the webhook's only reader of pod annotations: it must never panic, and
// every error must be made of *inject.AnnotationError values that name a
// fig-injector.io annotation (or label) and a fix, since the error becomes
// the admission denial a pod author reads.
func FuzzParseRequest(f *testing.F) {
	type seed struct{ client, secret, vault, prefix, secrets, format, path, mode, notify, containers string }
	for _, s := range []seed{
		{"OrderService", "fig-secret/secret", "https://orders-kv.vault.azure.net/", "OrderService--", "Db:Password=db-password\nApi:Key=api-key/0123456789abcdef0123456789abcdef", "json", "/fig/appsettings.json", "native", "signal:SIGHUP:dotnet", "app"},
		{"", "", "", "", "", "", "", "", "", ""},
		{"X", "https://kv.vault.azure.net/secrets/fig", "http://user@evil.example/", "", "=\n==\nA=", "xml", "/fig/../etc/passwd", "weird", "http://10.0.0.1/reload", ",,"},
		{"Ünïcode", "a/b/c", "https://xn--kv-0ba.vault.azure.net/", "p", "K=s/v/extra", "template", "relative/path", "init-only", "http://127.0.0.1:8080/x", "missing"},
	} {
		f.Add(s.client, s.secret, s.vault, s.prefix, s.secrets, s.format, s.path, s.mode, s.notify, s.containers)
	}
	f.Fuzz(func(t *testing.T, client, secret, vault, prefix, secrets, format, path, mode, notify, containers string) {
		ann := map[string]string{}
		for name, v := range map[string]string{
			inject.ClientNameAnnotation: client, inject.ClientSecretAnnotation: secret,
			inject.KeyVaultAnnotation: vault, inject.KeyVaultPrefixAnnotation: prefix,
			inject.SecretsAnnotation: secrets, inject.FormatAnnotation: format,
			inject.OutputPathAnnotation: path, inject.ModeAnnotation: mode,
			inject.NotifyAnnotation: notify, inject.ContainersAnnotation: containers,
		} {
			if v != "" {
				ann[name] = v
			}
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "shop", Annotations: ann,
				Labels: map[string]string{"fig-injector.io/inject": "true"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}},
		}
		_, err := inject.ParseRequest(pod)
		if err == nil {
			return
		}
		var leaves []error
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			leaves = j.Unwrap()
		} else {
			leaves = []error{err}
		}
		for _, e := range leaves {
			var ae *inject.AnnotationError
			if !errors.As(e, &ae) {
				t.Fatalf("error %q is not an *inject.AnnotationError", e)
			}
			if !strings.HasPrefix(ae.Annotation, "fig-injector.io/") && !strings.HasPrefix(ae.Annotation, "azure.workload.identity/") {
				t.Errorf("error names %q, not a fig-injector.io annotation", ae.Annotation)
			}
			if strings.TrimSpace(ae.Fix) == "" {
				t.Errorf("error for %s has no fix: %q", ae.Annotation, ae.Error())
			}
		}
	})
}
