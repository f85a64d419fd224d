package inject_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/inject"
)

// TestDenials covers every way a pod is denied: the error must be an
// *AnnotationError naming the annotation at fault, say what is wrong, give a
// fix, and leave the pod untouched.
func TestDenials(t *testing.T) {
	tests := []struct {
		name       string
		pod        *corev1.Pod
		settings   func(*inject.Settings)
		config     string
		annotation string
		problem    string
	}{
		{"unknown annotation", newPod(basic("fig-injector.io/client-nmae", "x")), nil, "", "fig-injector.io/client-nmae", "is not a fig-injector annotation"},
		{"missing client name", newPod(annotations(inject.ClientSecretAnnotation, "s/k")), nil, "", inject.ClientNameAnnotation, "is required"},
		{"client name with regex chars", newPod(basic(inject.ClientNameAnnotation, "Order.Service")), nil, "", inject.ClientNameAnnotation, "character Fig forbids"},
		{"empty instance", newPod(basic(inject.InstanceAnnotation, " ")), nil, "", inject.InstanceAnnotation, "1-255 characters"},
		{"empty fig uri", newPod(basic(inject.FigAPIURIAnnotation, ",")), nil, "", inject.FigAPIURIAnnotation, "is empty"},
		{"missing client secret", newPod(annotations(inject.ClientNameAnnotation, "OrderService")), nil, "", inject.ClientSecretAnnotation, "is required"},
		{"bad client secret", newPod(basic(inject.ClientSecretAnnotation, "Not_A_Secret")), nil, "", inject.ClientSecretAnnotation, "neither <secret>/<key>"},
		{"prefix without vault", newPod(basic(inject.KeyVaultPrefixAnnotation, "Orders--")), nil, "", inject.KeyVaultPrefixAnnotation, "needs fig-injector.io/keyvault"},
		{"secrets without vault", newPod(basic(inject.SecretsAnnotation, "A=b")), nil, "", inject.SecretsAnnotation, "needs fig-injector.io/keyvault"},
		{"vault reads nothing", newPod(basic(inject.KeyVaultAnnotation, "https://kv.vault.azure.net/")), nil, "", inject.KeyVaultAnnotation, "reads nothing"},
		{"bad prefix", newPod(basic(inject.KeyVaultAnnotation, "https://kv.vault.azure.net/", inject.KeyVaultPrefixAnnotation, "Orders::")), nil, "", inject.KeyVaultPrefixAnnotation, "not a Key Vault secret name prefix"},
		{"secret line without key", newPod(basic(inject.KeyVaultAnnotation, "https://kv.vault.azure.net/", inject.SecretsAnnotation, "db-password")), nil, "", inject.SecretsAnnotation, "line 1"},
		{"bad secret name", newPod(basic(inject.KeyVaultAnnotation, "https://kv.vault.azure.net/", inject.SecretsAnnotation, "A=db_password")), nil, "", inject.SecretsAnnotation, "not a Key Vault secret name"},
		{"bad secret version", newPod(basic(inject.KeyVaultAnnotation, "https://kv.vault.azure.net/", inject.SecretsAnnotation, "A=db/v-1")), nil, "", inject.SecretsAnnotation, "not a secret version"},
		{"duplicate secret key", newPod(basic(inject.KeyVaultAnnotation, "https://kv.vault.azure.net/", inject.SecretsAnnotation, "A=x\nA=y")), nil, "", inject.SecretsAnnotation, "mapped twice"},
		{"duplicate secret key in another case", newPod(basic(inject.KeyVaultAnnotation, "https://kv.vault.azure.net/", inject.SecretsAnnotation, "Db:Password=x\ndb:password=y")), nil, "", inject.SecretsAnnotation, `line 2: key "db:password" is mapped twice`},
		{"bad format", newPod(basic(inject.FormatAnnotation, "toml")), nil, "", inject.FormatAnnotation, "not a format"},
		{"template format without configmap", newPod(basic(inject.FormatAnnotation, "template")), nil, "", inject.FormatAnnotation, "needs fig-injector.io/template-configmap"},
		{"template with json", newPod(basic(inject.FormatAnnotation, "json", inject.TemplateConfigMapAnnotation, "t")), nil, "", inject.FormatAnnotation, "needs format template"},
		{"bad template ref", newPod(basic(inject.TemplateConfigMapAnnotation, "Bad_Name")), nil, "", inject.TemplateConfigMapAnnotation, "does not name a ConfigMap key"},
		{"relative output", newPod(basic(inject.OutputPathAnnotation, "fig/a.json")), nil, "", inject.OutputPathAnnotation, "not an absolute path"},
		{"output in root", newPod(basic(inject.OutputPathAnnotation, "/a.json")), nil, "", inject.OutputPathAnnotation, "root directory"},
		{"output with dots", newPod(basic(inject.OutputPathAnnotation, "/fig/../etc/a.json")), nil, "", inject.OutputPathAnnotation, "not a clean file path"},
		{"output over secrets", newPod(basic(inject.OutputPathAnnotation, "/var/run/secrets/a.json")), nil, "", inject.OutputPathAnnotation, "reserved path"},
		{"output with NUL", newPod(basic(inject.OutputPathAnnotation, "/fig/a\x00.json")), nil, "", inject.OutputPathAnnotation, "control character"},
		{"output name too long", newPod(basic(inject.OutputPathAnnotation, "/fig/"+strings.Repeat("a", 256))), nil, "", inject.OutputPathAnnotation, "longer than 255 bytes"},
		{"output over /etc/ssl", newPod(basic(inject.OutputPathAnnotation, "/etc/ssl/certs/app.json")), nil, "", inject.OutputPathAnnotation, "system directory /etc/ssl"},
		{"bad mode", newPod(basic(inject.ModeAnnotation, "sidecar")), nil, "", inject.ModeAnnotation, "not a mode"},
		{"native not supported", newPod(basic(inject.ModeAnnotation, "native")), func(s *inject.Settings) { s.NativeSidecar = false }, "", inject.ModeAnnotation, "native sidecars are not enabled"},
		{"bad signal", newPod(basic(inject.NotifyAnnotation, "signal:SIGKILL:dotnet")), nil, "", inject.NotifyAnnotation, "not a signal"},
		{"signal without process", newPod(basic(inject.NotifyAnnotation, "signal:SIGHUP")), nil, "", inject.NotifyAnnotation, "names no process"},
		{"notify off loopback", newPod(basic(inject.NotifyAnnotation, "http://10.0.0.1:8080/reload")), nil, "", inject.NotifyAnnotation, "loopback"},
		{"notify in init-only", newPod(basic(inject.NotifyAnnotation, "http://127.0.0.1:8080/reload", inject.ModeAnnotation, "init-only")), nil, "", inject.NotifyAnnotation, "nothing to notify"},
		{"signal without app user", newPod(basic(inject.NotifyAnnotation, "signal:SIGHUP:dotnet")), nil, "", inject.NotifyAnnotation, "no non-root runAsUser"},
		{"restart signal that does not end the app", newPod(withPodUser(1000), basic(inject.RestartAnnotation, "signal:SIGHUP:dotnet")), nil, "", inject.RestartAnnotation, "not a signal that ends the app"},
		{"restart signal without process", newPod(withPodUser(1000), basic(inject.RestartAnnotation, "signal:SIGTERM")), nil, "", inject.RestartAnnotation, "names no process"},
		{"restart off loopback", newPod(basic(inject.RestartAnnotation, "http://orders.shop.svc:8080/restart")), nil, "", inject.RestartAnnotation, "loopback"},
		{"restart in init-only", newPod(basic(inject.RestartAnnotation, "http://127.0.0.1:8080/restart", inject.ModeAnnotation, "init-only")), nil, "", inject.RestartAnnotation, "mode init-only renders once"},
		{"restart signal with process namespace off", newPod(withPodUser(1000), basic(inject.RestartAnnotation, "signal:SIGTERM:dotnet"), func(p *corev1.Pod) { p.Spec.ShareProcessNamespace = new(bool) }), nil, "", inject.RestartAnnotation, "needs shareProcessNamespace, which the pod turns off"},
		{"restart signal under restartPolicy Never", newPod(withPodUser(1000), basic(inject.RestartAnnotation, "signal:SIGTERM:dotnet"), func(p *corev1.Pod) { p.Spec.RestartPolicy = corev1.RestartPolicyNever }), nil, "", inject.RestartAnnotation, "restartPolicy Never the kubelet does not start it again"},
		{"restart signal without app user", newPod(basic(inject.RestartAnnotation, "signal:SIGTERM:dotnet")), nil, "", inject.RestartAnnotation, "no non-root runAsUser"},
		{"configmap restart signal under restartPolicy OnFailure", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.ClientSecretAnnotation, "s/secret"), withPodUser(1000), func(p *corev1.Pod) { p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure }), nil, strings.Replace(configYAML, "fig:\n", "fig:\n  restart: {signal: {process: dotnet}}\n", 1), inject.ConfigConfigMapAnnotation, "restartPolicy OnFailure"},
		{"configmap with restart annotation", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.RestartAnnotation, "http://127.0.0.1:8080/restart")), nil, configYAML, inject.RestartAnnotation, "cannot be combined"},
		{"app health off loopback", newPod(basic(inject.AppHealthURLAnnotation, "http://10.0.0.1:8080/health")), nil, "", inject.AppHealthURLAnnotation, "not an http URL on the pod's loopback"},
		{"offline settings not a bool", newPod(basic(inject.OfflineSettingsAnnotation, "no")), nil, "", inject.OfflineSettingsAnnotation, `"no" is not true or false`},
		{"configmap with offline settings annotation", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.OfflineSettingsAnnotation, "false")), nil, configYAML, inject.OfflineSettingsAnnotation, "cannot be combined"},
		{"empty app version", newPod(basic(inject.AppVersionAnnotation, " ")), nil, "", inject.AppVersionAnnotation, "must be 1-128 characters"},
		{"unknown container", newPod(basic(inject.ContainersAnnotation, "app,sidecar")), nil, "", inject.ContainersAnnotation, `no app container "sidecar"`},
		{"agent container selected", newPod(basic(inject.ContainersAnnotation, "fig-injector")), nil, "", inject.ContainersAnnotation, "no app container"},
		{"mount path taken", newPod(basic(), withMount("app", "data", "/fig")), nil, "", inject.OutputPathAnnotation, `already mounts volume "data"`},
		{"configmap with client name", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.ClientNameAnnotation, "X")), nil, configYAML, inject.ClientNameAnnotation, "cannot be combined"},
		{"configmap with vault client secret", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.ClientSecretAnnotation, "https://kv.vault.azure.net/secrets/s")), nil, configYAML, inject.ClientSecretAnnotation, "cannot be combined"},
		{"configmap config not strict", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg")), nil, "fig:\n  clientNmae: X\n", inject.ConfigConfigMapAnnotation, "ConfigMap cfg key config.yaml"},
		{"configmap output outside", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.ClientSecretAnnotation, "s/secret")), nil, strings.Replace(configYAML, "/config/env/app.env", "/other/app.env", 1), inject.ConfigConfigMapAnnotation, "is outside /config"},
		{"configmap native without listen", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.ClientSecretAnnotation, "s/secret")), nil, strings.Replace(configYAML, `listen: ":9102"`, "", 1), inject.ConfigConfigMapAnnotation, "no listen address"},
		{"configmap secret file without secret", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg")), nil, configYAML, inject.ConfigConfigMapAnnotation, "names no client Secret"},
		{"configmap relay elsewhere", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.ClientSecretAnnotation, "s/secret")), withRelay, strings.Replace(relayConfigYAML, relayURL, "https://relay.evil.example", 1), inject.ConfigConfigMapAnnotation, `relay.url "https://relay.evil.example" is not the cluster's relay`},
		{"configmap relay without a cluster relay", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.ClientSecretAnnotation, "s/secret")), nil, relayConfigYAML, inject.ConfigConfigMapAnnotation, "relay.url is not allowed: the cluster runs no relay"},
		{"configmap relay token elsewhere", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.ClientSecretAnnotation, "s/secret")), withRelay, strings.Replace(relayConfigYAML, "/var/run/secrets/fig-injector/relay/token", "/etc/fig-injector/client-secret/secret", 1), inject.ConfigConfigMapAnnotation, `relay.tokenFile "/etc/fig-injector/client-secret/secret" is outside /var/run/secrets/fig-injector/relay`},
		{"configmap relay in an init container", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.ClientSecretAnnotation, "s/secret", inject.ModeAnnotation, "init-only")), withRelay, relayConfigYAML, inject.ConfigConfigMapAnnotation, "relay needs a sidecar"},
		{"configmap invalid for agent", newPod(annotations(inject.ConfigConfigMapAnnotation, "cfg", inject.ClientSecretAnnotation, "s/secret")), nil, strings.Replace(configYAML, "OrderService--", "", 1), inject.ConfigConfigMapAnnotation, "reads nothing"},
		{"no default fig uri", newPod(basic()), func(s *inject.Settings) { s.FigAPIURI = "" }, "", inject.FigAPIURIAnnotation, "no default Fig API URI"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings()
			if tc.settings != nil {
				tc.settings(&s)
			}
			pod := tc.pod.DeepCopy()
			err := mutate(t, pod, s, tc.config)
			checkDenial(t, err, tc.annotation, tc.problem)
			if d := cmp.Diff(tc.pod, pod); d != "" {
				t.Errorf("a denied pod was changed:\n%s", d)
			}
		})
	}
}

// TestAllowlistDenials: a pod cannot point the agent, or its token, at a
// server the cluster did not allow, however the URI is disguised.
func TestAllowlistDenials(t *testing.T) {
	const kv = "https://orders-kv.vault.azure.net/"
	tests := []struct {
		name, annotation, value, problem string
	}{
		{"fig other host", inject.FigAPIURIAnnotation, "https://evil.example", "not in the allowlist"},
		{"fig host suffix trick", inject.FigAPIURIAnnotation, "https://fig-api.fig.svc:8080.evil.example", "is not a URL"},
		{"fig host as userinfo", inject.FigAPIURIAnnotation, "https://fig-api.fig.svc:8080@evil.example", "user info"},
		{"fig other port", inject.FigAPIURIAnnotation, "https://fig-api.fig.svc:8443", "not in the allowlist"},
		{"fig sibling path", inject.FigAPIURIAnnotation, "https://fig-api.fig-blue.svc:8080/apix", "not in the allowlist"},
		{"fig dot-dot path", inject.FigAPIURIAnnotation, "https://fig-api.fig-blue.svc:8080/api/../admin", `".."`},
		{"fig encoded dot-dot", inject.FigAPIURIAnnotation, "https://fig-api.fig-blue.svc:8080/api/%2e%2e/admin", "percent-encoding"},
		{"fig http", inject.FigAPIURIAnnotation, "http://fig-api.fig.svc:8080", "not https"},
		{"fig ip", inject.FigAPIURIAnnotation, "https://10.0.0.7:8080", "IP address"},
		{"fig decimal ip", inject.FigAPIURIAnnotation, "https://2130706433:8080", "numeric host name"},
		{"fig short ip", inject.FigAPIURIAnnotation, "https://127.1:8080", "numeric host name"},
		{"fig idn", inject.FigAPIURIAnnotation, "https://fig-аpi.fig.svc:8080", "non-ASCII"},
		{"fig punycode", inject.FigAPIURIAnnotation, "https://xn--fig-api-7vf.fig.svc:8080", "punycode"},
		{"fig trailing dot", inject.FigAPIURIAnnotation, "https://fig-api.fig.svc.:8080", "trailing dot"},
		{"fig query", inject.FigAPIURIAnnotation, "https://fig-api.fig.svc:8080?x=1", "query"},
		{"fig one of several", inject.FigAPIURIAnnotation, "https://fig-api.fig.svc:8080,https://evil.example", "evil.example"},
		{"vault other suffix", inject.KeyVaultAnnotation, "https://orders.vault.evil.example/", "not under an allowed Key Vault DNS suffix"},
		{"vault suffix without dot", inject.KeyVaultAnnotation, "https://evilvault.azure.net/", "not under an allowed"},
		{"vault bare suffix", inject.KeyVaultAnnotation, "https://vault.azure.net/", "not under an allowed"},
		{"vault userinfo", inject.KeyVaultAnnotation, "https://orders-kv.vault.azure.net@evil.example/", "user info"},
		{"vault path", inject.KeyVaultAnnotation, "https://orders-kv.vault.azure.net/secrets/", "has a path"},
		{"vault http", inject.KeyVaultAnnotation, "http://orders-kv.vault.azure.net/", "not https"},
		{"client secret other vault", inject.ClientSecretAnnotation, "https://kv.vault.evil.example/secrets/s", "not under an allowed"},
		{"client secret not a secret uri", inject.ClientSecretAnnotation, "https://kv.vault.azure.net/keys/k", "not a secret URI"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kv := []string{inject.KeyVaultAnnotation, kv, inject.KeyVaultPrefixAnnotation, "Orders--"}
			if tc.annotation == inject.KeyVaultAnnotation {
				kv[1] = tc.value
			}
			pod := newPod(basic(kv...), annotations(tc.annotation, tc.value))
			if tc.annotation != inject.KeyVaultAnnotation {
				pod.Annotations[tc.annotation] = tc.value
			}
			checkDenial(t, mutate(t, pod, testSettings(), ""), tc.annotation, tc.problem)
		})
	}
}

// TestAllowlistConfigMapDenials: the same rules hold for a whole config from a
// ConfigMap, and the denial names the config-configmap annotation.
func TestAllowlistConfigMapDenials(t *testing.T) {
	tests := []struct{ name, old, new, problem string }{
		{"fig uri", "clientName: OrderService", "clientName: OrderService\n  apiUri: https://evil.example", "fig.apiUri"},
		{"vault", "https://orders-kv.vault.azure.net/", "https://orders-kv.vault.evil.example/", "keyVaults[0].url"},
		{"authority", "listen:", "azure:\n  authorityHost: https://login.evil.example/\nlisten:", "azure.authorityHost"},
		{"challenge verification", "listen:", "azure:\n  disableChallengeResourceVerification: true\nlisten:", "disableChallengeResourceVerification"},
		{"notify elsewhere", "listen:", "notify:\n  http: {url: \"http://fig-api.fig.svc/x\"}\nlisten:", "notify.http.url"},
		// Issue 12 item 7: every file the config reads stays in the mount meant for it.
		{"federated token as client secret", "/etc/fig-injector/client-secret/secret", "/var/run/secrets/azure/tokens/azure-identity-token", `fig.clientSecret.file "/var/run/secrets/azure/tokens/azure-identity-token" is outside /etc/fig-injector/client-secret`},
		{"client secret as template", "  - path: /config/env/app.env\n    format: env", "  - path: /config/env/app.env\n    format: template\n    template: /etc/fig-injector/client-secret/secret", `outputs[1].template "/etc/fig-injector/client-secret/secret" is outside`},
		{"output as CA", "listen:", "tls:\n  caFile: /config/appsettings.json\nlisten:", `tls.caFile "/config/appsettings.json" is outside`},
		{"dev zero as declaration", "clientName: OrderService", "clientName: OrderService\n  register: /dev/zero", `fig.register "/dev/zero" is outside`},
		{"token file", "listen:", "azure:\n  tokenFile: /etc/fig-injector/client-secret/secret\nlisten:", `azure.tokenFile "/etc/fig-injector/client-secret/secret" is not the workload identity's token file`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pod := newPod(annotations(inject.ConfigConfigMapAnnotation, "orders-fig", inject.ClientSecretAnnotation, "orders-fig/secret"))
			cfg := strings.Replace(configYAML, tc.old, tc.new, 1)
			checkDenial(t, mutate(t, pod, testSettings(), cfg), inject.ConfigConfigMapAnnotation, tc.problem)
		})
	}
}

func checkDenial(t *testing.T, err error, annotation, problem string) {
	t.Helper()
	var ae *inject.AnnotationError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want an *AnnotationError", err)
	}
	if ae.Annotation != annotation || !strings.Contains(ae.Problem, problem) || ae.Fix == "" {
		t.Errorf("got %q, want annotation %s, a problem containing %q and a fix", err, annotation, problem)
	}
}

// TestParseRequestReportsEveryProblem: one pass names every bad annotation.
func TestParseRequestReportsEveryProblem(t *testing.T) {
	_, err := inject.ParseRequest(newPod(annotations(inject.ModeAnnotation, "x", inject.FormatAnnotation, "y")))
	for _, a := range []string{inject.ClientNameAnnotation, inject.ClientSecretAnnotation, inject.ModeAnnotation, inject.FormatAnnotation} {
		if err == nil || !strings.Contains(err.Error(), a+":") {
			t.Errorf("error %q does not name %s", err, a)
		}
	}
}
