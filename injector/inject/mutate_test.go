package inject_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/test/e2e/azurewi"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.yaml from the current output")

const configYAML = `
fig:
  clientName: OrderService
  clientSecret:
    file: /etc/fig-injector/client-secret/secret
keyVaults:
  - url: https://orders-kv.vault.azure.net/
    prefix: OrderService--
outputs:
  - path: /config/appsettings.json
  - path: /config/env/app.env
    format: env
listen: ":9102"
`

// relayURL is the cluster relay of the relay cases; withRelay runs it.
const relayURL = "https://fig-injector-relay.fig-injector.svc:8443"

func withRelay(s *inject.Settings) {
	s.RelayURL, s.RelayAudience = relayURL, "fig-injector-relay"
	s.TrustBundle = &inject.ConfigMapRef{Name: "fig-ca"} // the relay's CA (docs/operations.md#relay)
}

// relayConfigYAML is configYAML subscribing to the cluster's relay.
var relayConfigYAML = configYAML + "relay:\n  url: " + relayURL + "\n  tokenFile: /var/run/secrets/fig-injector/relay/token\n"

// goldenCase is one pod, the settings it meets, and (optionally) the
// ConfigMap config the webhook would have loaded.
type goldenCase struct {
	name     string
	pod      *corev1.Pod
	settings func(*inject.Settings)
	config   string
}

func goldenCases() []goldenCase {
	azure := azurewi.Options{ClientID: "11111111-2222-3333-4444-555555555555", TenantID: "tenant", AuthorityHost: "https://login.microsoftonline.com/"}
	preAzure := func(layout azurewi.Layout) podOption {
		return func(p *corev1.Pod) {
			o := azure
			o.Layout = layout
			azurewi.Mutate(p, o)
		}
	}
	return []goldenCase{
		{name: "native-minimal", pod: newPod(basic())},
		{name: "classic-keyvault", pod: newPod(basic(
			inject.ModeAnnotation, "classic",
			inject.InstanceAnnotation, "blue",
			inject.FigAPIURIAnnotation, "https://fig-api.fig-blue.svc:8080/api/v2",
			inject.KeyVaultAnnotation, "https://orders-kv.vault.azure.net/",
			inject.KeyVaultPrefixAnnotation, "OrderService--",
			inject.SecretsAnnotation, "# mapped secrets\nConnectionStrings:Orders:Password=db-password\nPayments:ApiKey=payments-key/0123456789abcdef0123456789abcdef\n",
			inject.FormatAnnotation, "yaml",
			inject.OutputPathAnnotation, "/config/app.yaml",
		))},
		{name: "init-only-template", pod: newPod(withInitContainer("migrate"), annotations(
			inject.ClientNameAnnotation, "OrderService",
			inject.ClientSecretAnnotation, "https://orders-kv.vault.azure.net/secrets/fig-orderservice-secret",
			inject.ModeAnnotation, "init-only",
			inject.TemplateConfigMapAnnotation, "orders-template/app.conf.tmpl",
			inject.OutputPathAnnotation, "/etc/orders/app.conf",
			inject.ContainersAnnotation, "app, migrate",
		))},
		{name: "configmap-config", pod: newPod(annotations(
			inject.ConfigConfigMapAnnotation, "orders-fig",
			inject.ClientSecretAnnotation, "orders-fig/secret",
			inject.ModeAnnotation, "classic",
		)), config: configYAML},
		{name: "notify-signal", pod: newPod(withPodUser(1000), basic(inject.NotifyAnnotation, "signal:SIGHUP:dotnet"))},
		{name: "restart-signal-app-status", pod: newPod(withPodUser(1000), basic(
			inject.RestartAnnotation, "signal:SIGTERM:dotnet",
			inject.AppVersionAnnotation, "2.4.1",
			inject.AppHealthURLAnnotation, "http://127.0.0.1:8080/health",
		))},
		{name: "notify-http-two-apps", pod: newPod(withContainer("worker"), withContainer("metrics"), basic(
			inject.NotifyAnnotation, "http://127.0.0.1:8080/reload",
			inject.ContainersAnnotation, "app,worker",
		))},
		{name: "azure-first-v1.5", pod: newPod(basic(), preAzure(azurewi.V15))},
		{name: "azure-first-v1.6", pod: newPod(basic(), preAzure(azurewi.V16))},
		{name: "azure-first-main", pod: newPod(basic(), preAzure(azurewi.Main))},
		{name: "add-workload-identity", pod: newPod(basic(inject.KeyVaultAnnotation, "https://orders-kv.vault.azure.net/", inject.KeyVaultPrefixAnnotation, "OrderService--"),
			annotations(inject.AzureClientIDAnnotation, "pod-client-id")),
			settings: func(s *inject.Settings) {
				s.AddWorkloadIdentity, s.AzureClientID, s.AzureTenantID = true, "chart-client-id", "chart-tenant-id"
			}},
		// Issue 14: annotation-configured sidecars get the relay's token and section; a ConfigMap
		// config gets the token when it carries a relay section (the relay authorizes it against
		// that ConfigMap), none without; an init container never.
		{name: "native-relay", pod: newPod(basic()), settings: withRelay},
		{name: "classic-relay-configmap", pod: newPod(annotations(
			inject.ConfigConfigMapAnnotation, "orders-fig",
			inject.ClientSecretAnnotation, "orders-fig/secret",
			inject.ModeAnnotation, "classic",
		)), config: configYAML, settings: withRelay},
		{name: "classic-relay-configmap-subscribed", pod: newPod(annotations(
			inject.ConfigConfigMapAnnotation, "orders-fig",
			inject.ClientSecretAnnotation, "orders-fig/secret",
			inject.ModeAnnotation, "classic",
		)), config: relayConfigYAML, settings: withRelay},
		{name: "init-only-relay", pod: newPod(basic(inject.ModeAnnotation, "init-only")), settings: withRelay},
		// Issue 14's offline copies: the pod keeps its Fig settings out of them.
		{name: "native-relay-no-offline-copy", pod: newPod(basic(inject.OfflineSettingsAnnotation, "false")), settings: withRelay},
		{name: "classic-cluster-trust-bundle", pod: newPod(basic()), settings: func(s *inject.Settings) {
			s.NativeSidecar = false
			s.TrustBundle = &inject.ConfigMapRef{Name: "fig-ca"}
			s.AzureDisableInstanceDiscovery = true
			s.KeyVaultDNSSuffix = "vault.azure.cn"
		}},
	}
}

// mutate runs the webhook's steps: parse, load the ConfigMap config, mutate.
func mutate(t *testing.T, pod *corev1.Pod, s inject.Settings, cfg string) error {
	t.Helper()
	req, err := inject.ParseRequest(pod)
	if err != nil {
		return err
	}
	if req.ConfigMap != nil {
		if err := req.LoadConfig([]byte(cfg)); err != nil {
			return err
		}
	}
	return inject.Mutate(pod, req, s)
}

func TestMutateGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings()
			if tc.settings != nil {
				tc.settings(&s)
			}
			pod := tc.pod.DeepCopy()
			if err := mutate(t, pod, s, tc.config); err != nil {
				t.Fatal(err)
			}
			got, err := yaml.Marshal(pod)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".golden.yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if d := cmp.Diff(string(want), string(got)); d != "" {
				t.Errorf("mutated pod differs from %s (-want +got):\n%s", golden, d)
			}

			// Idempotence: mutating the output again changes nothing.
			twice := pod.DeepCopy()
			if err := mutate(t, twice, s, tc.config); err != nil {
				t.Fatalf("second pass: %v", err)
			}
			if d := cmp.Diff(pod, twice); d != "" {
				t.Errorf("mutate twice != mutate once (-once +twice):\n%s", d)
			}
		})
	}
}

// TestGoldenPodsParse checks that every golden file is a valid Pod with
// exactly one of each injected object (a guard against a bad -update).
func TestGoldenPodsParse(t *testing.T) {
	for _, tc := range goldenCases() {
		data, err := os.ReadFile(filepath.Join("testdata", tc.name+".golden.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var pod corev1.Pod
		if err := yaml.UnmarshalStrict(data, &pod); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		count := 0
		for _, v := range pod.Spec.Volumes {
			if v.Name == inject.VolumeName {
				count++
				if v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory || v.EmptyDir.SizeLimit == nil {
					t.Errorf("%s: volume %s is not a memory emptyDir with a sizeLimit", tc.name, v.Name)
				}
			}
		}
		if count != 1 || !bytes.Contains(data, []byte("readOnlyRootFilesystem: true")) {
			t.Errorf("%s: want one shared volume and restricted security contexts", tc.name)
		}
	}
}

// TestMutateKeepsOtherPluginsChanges: what the in-tree admission plugins
// add to our containers between invocations (the ServiceAccount plugin's
// token mount, a LimitRange's CPU limit) survives a reinvocation, so the API
// server does not need another round; what anyone else adds to our
// containers (a proxy variable) does not, and app containers keep theirs.
func TestMutateKeepsOtherPluginsChanges(t *testing.T) {
	s := testSettings()
	pod := newPod(basic(inject.ModeAnnotation, "classic"))
	if err := mutate(t, pod, s, ""); err != nil {
		t.Fatal(err)
	}
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			c := &list[i]
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "kube-api-access-abcde", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true})
			c.Env = append(c.Env, corev1.EnvVar{Name: "HTTPS_PROXY", Value: "http://proxy:3128"})
			if c.Resources.Limits == nil {
				c.Resources.Limits = corev1.ResourceList{}
			}
			c.Resources.Limits[corev1.ResourceCPU] = resource.MustParse("500m")
		}
	}
	before := pod.DeepCopy()
	for _, list := range [][]corev1.Container{before.Spec.InitContainers, before.Spec.Containers} {
		for i := range list {
			if c := &list[i]; c.Name == inject.AgentContainerName || c.Name == inject.InitContainerName {
				c.Env = c.Env[:len(c.Env)-1] // HTTPS_PROXY
			}
		}
	}
	if err := mutate(t, pod, s, ""); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, pod); d != "" {
		t.Errorf("reinvocation did not keep exactly the in-tree plugins' changes (-want +got):\n%s", d)
	}

	// A mode change still removes what only the old mode needed.
	pod.Annotations[inject.ModeAnnotation] = "init-only"
	if err := mutate(t, pod, s, ""); err != nil {
		t.Fatal(err)
	}
	if len(pod.Spec.Containers) != 1 || len(pod.Spec.InitContainers) != 1 || pod.Spec.InitContainers[0].Name != inject.InitContainerName {
		t.Errorf("after switching to init-only: init %v, containers %v", pod.Spec.InitContainers, pod.Spec.Containers)
	}
}
