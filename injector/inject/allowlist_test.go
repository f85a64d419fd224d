package inject_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/inject"
)

// TestAllowlistEnvNamesAreTheAgents: the webhook writes the variables under
// the names the agent reads.
func TestAllowlistEnvNamesAreTheAgents(t *testing.T) {
	got := []string{inject.AllowedFigAPIURIsEnvVar, inject.AllowedKeyVaultSuffixesEnvVar,
		inject.AllowedAzureAuthorityHostEnvVar, inject.AllowDisableChallengeResourceVerificationEnvVar, inject.AllowedOutputDirEnvVar, inject.ConfineFilesEnvVar}
	want := []string{config.AllowedFigAPIURIsEnv, config.AllowedKeyVaultSuffixesEnv,
		config.AllowedAzureAuthorityHostEnv, config.AllowDisableChallengeResourceVerificationEnv, config.AllowedOutputDirEnv, config.ConfineFilesEnv}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("env names (-agent +webhook):\n%s", d)
	}
}

// TestAllowlistEnv: every injected agent container, in every mode and with
// either kind of config, carries the allowlists admission used, and what
// admission compared azure.authorityHost, azure.disableChallengeResourceVerification
// and the outputs against (the cluster's authority, its permission, the
// shared volume's mount path), so the agent enforces the same rules after
// admission. An empty list is written "none" (admission allows nothing
// then), never left out: an agent without the variable is not restricted.
func TestAllowlistEnv(t *testing.T) {
	tests := []struct {
		name     string
		pod      *corev1.Pod
		config   string
		settings func(*inject.Settings)
		fig, kv  string
		dir      string // the output directory
		// authority and challenge default to the chart's defaults
		// (https://login.microsoftonline.com/, "false").
		authority, challenge string
	}{
		{name: "native", pod: newPod(basic()),
			fig: "https://fig-api.fig.svc:8080,https://fig-api.fig-blue.svc:8080/api", kv: "vault.azure.net", dir: "/fig"},
		{name: "classic", pod: newPod(basic(inject.ModeAnnotation, "classic")),
			fig: "https://fig-api.fig.svc:8080,https://fig-api.fig-blue.svc:8080/api", kv: "vault.azure.net", dir: "/fig"},
		{name: "init-only", pod: newPod(basic(inject.ModeAnnotation, "init-only")),
			fig: "https://fig-api.fig.svc:8080,https://fig-api.fig-blue.svc:8080/api", kv: "vault.azure.net", dir: "/fig"},
		{name: "output path annotation", pod: newPod(basic(inject.OutputPathAnnotation, "/etc/orders/settings.json")),
			fig: "https://fig-api.fig.svc:8080,https://fig-api.fig-blue.svc:8080/api", kv: "vault.azure.net", dir: "/etc/orders"},
		{name: "configmap config", pod: newPod(annotations(inject.ConfigConfigMapAnnotation, "orders-fig", inject.ClientSecretAnnotation, "orders-fig/secret", inject.ModeAnnotation, "classic")), config: configYAML,
			fig: "https://fig-api.fig.svc:8080,https://fig-api.fig-blue.svc:8080/api", kv: "vault.azure.net", dir: "/config"},
		{name: "sovereign cloud that allows disabling challenge verification", pod: newPod(annotations(inject.ConfigConfigMapAnnotation, "orders-fig", inject.ClientSecretAnnotation, "orders-fig/secret")), config: configYAML,
			settings: func(s *inject.Settings) {
				s.AzureAuthorityHost, s.AzureDisableChallengeResourceVerification = "https://login.chinacloudapi.cn/", true
			},
			fig: "https://fig-api.fig.svc:8080,https://fig-api.fig-blue.svc:8080/api", kv: "vault.azure.net", dir: "/config",
			authority: "https://login.chinacloudapi.cn/", challenge: "true"},
		{name: "several suffixes and a default list", pod: newPod(basic()),
			settings: func(s *inject.Settings) {
				s.FigAPIURI = "https://fig-a.fig.svc:8080, https://fig-b.fig.svc:8080"
				s.AllowedFigURIs = nil
				s.AllowedKeyVaultSuffixes = []string{"vault.azure.net", "vault.azure.cn"}
			},
			fig: "https://fig-a.fig.svc:8080,https://fig-b.fig.svc:8080", kv: "vault.azure.net,vault.azure.cn", dir: "/fig"},
		{name: "no vault allowed", pod: newPod(basic()),
			settings: func(s *inject.Settings) { s.AllowedKeyVaultSuffixes = nil },
			fig:      "https://fig-api.fig.svc:8080,https://fig-api.fig-blue.svc:8080/api", kv: "none", dir: "/fig"},
		{name: "no fig uri allowed", pod: newPod(annotations(inject.ConfigConfigMapAnnotation, "orders-kv")),
			config:   "keyVaults: [{url: 'https://orders-kv.vault.azure.net/', prefix: A--}]\noutputs: [{path: /fig/a.json}]\nlisten: ':9102'\n",
			settings: func(s *inject.Settings) { s.FigAPIURI, s.AllowedFigURIs = "", nil },
			fig:      "none", kv: "vault.azure.net", dir: "/fig"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings()
			if tc.settings != nil {
				tc.settings(&s)
			}
			pod := tc.pod.DeepCopy()
			if err := mutate(t, pod, s, tc.config); err != nil {
				t.Fatal(err)
			}
			authority, challenge := tc.authority, tc.challenge
			if authority == "" {
				authority, challenge = inject.DefaultAzureAuthorityHost, "false"
			}
			want := map[string]string{inject.AllowedFigAPIURIsEnvVar: tc.fig, inject.AllowedKeyVaultSuffixesEnvVar: tc.kv,
				inject.AllowedAzureAuthorityHostEnvVar: authority, inject.AllowDisableChallengeResourceVerificationEnvVar: challenge,
				inject.AllowedOutputDirEnvVar: tc.dir}
			agents := 0
			for _, c := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
				if c.Name != inject.AgentContainerName && c.Name != inject.InitContainerName {
					for name := range want {
						if _, ok := envOf(c)[name]; ok {
							t.Errorf("app container %s got %s", c.Name, name)
						}
					}
					continue
				}
				agents++
				got := envOf(c)
				for name, v := range want {
					if _, ok := got[name]; !ok {
						t.Errorf("%s: %s is not set", c.Name, name)
					}
					if got[name] != v {
						t.Errorf("%s: %s = %q, want %q", c.Name, name, got[name], v)
					}
				}
			}
			if agents == 0 {
				t.Fatal("no agent container injected")
			}
		})
	}
}

func envOf(c corev1.Container) map[string]string {
	m := map[string]string{}
	for _, e := range c.Env {
		m[e.Name] = e.Value
	}
	return m
}
