//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/devca"
	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/injector/webhook"
	"github.com/fig-injector/fig-injector/test/e2e/azurewi"
)

// Labels and annotations the tests use to route pods to configurations.
const (
	// variantLabel picks our configuration: absent = "fig-injector-e2e" (sorts
	// after the Azure webhook's), "fig-first" = "a-fig-injector-e2e" (sorts
	// before it), "add-wi" = a webhook with AddWorkloadIdentity.
	variantLabel = "e2e.fig-injector.io/variant"
	// extraSidecarLabel makes a webhook that runs after ours add a container,
	// so the API server reinvokes ours (reinvocationPolicy IfNeeded).
	extraSidecarLabel = "e2e.fig-injector.io/extra-sidecar"
	// azureLayoutAnnotation picks the Azure stand-in's release layout.
	azureLayoutAnnotation = "e2e.fig-injector.io/azure-layout"

	restrictedNS   = "e2e-restricted"
	trustConfigMap = "e2e-dev-ca"
)

type environment struct {
	cluster *cluster
	assets  string
	dir     string
	ca      *devca.CA

	// webhookURL and addWIURL are our two in-process webhooks.
	webhookURL, addWIURL string
	// agentPort is the agent's listen port in the injected config.
	agentPort int32
	// emu are the Fig, Entra and Key Vault emulators (agent tests).
	emu emulatorURLs
	dev *dev.Env

	cancel  context.CancelFunc
	servers []chan error
	closers []func()
}

// emulatorURLs are where the injected agent is pointed.
type emulatorURLs struct {
	fig, entra, keyVault string
}

// setup starts the webhooks, installs their configurations and waits until
// the API server calls them.
func (e *environment) setup(ctx context.Context) error {
	ctx, e.cancel = context.WithCancel(ctx)
	var err error
	if e.ca, err = devca.New(); err != nil {
		return err
	}
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	e.agentPort = int32(ports[0])
	if e.emu, err = e.startEmulators(ctx); err != nil {
		return fmt.Errorf("emulators: %w", err)
	}
	if e.webhookURL, err = e.startWebhook(ctx, "fig-injector", false); err != nil {
		return err
	}
	if e.addWIURL, err = e.startWebhook(ctx, "fig-injector-add-wi", true); err != nil {
		return err
	}
	standins, err := e.startStandIns(ctx)
	if err != nil {
		return err
	}
	if err := e.createNamespace(ctx, restrictedNS, map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest",
	}); err != nil {
		return err
	}
	if err := e.createNamespace(ctx, "e2e-probe", nil); err != nil {
		return err
	}
	notIn := func(values ...string) *metav1.LabelSelector {
		return &metav1.LabelSelector{
			MatchLabels:      map[string]string{inject.InjectLabel: "true"},
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: variantLabel, Operator: metav1.LabelSelectorOpNotIn, Values: values}},
		}
	}
	in := func(v string) *metav1.LabelSelector {
		return &metav1.LabelSelector{
			MatchLabels: map[string]string{inject.InjectLabel: "true", variantLabel: v},
		}
	}
	ifNeeded := admissionregistrationv1.IfNeededReinvocationPolicy
	configs := []*admissionregistrationv1.MutatingWebhookConfiguration{
		e.webhookConfig(azurewi.ConfigurationName, "mutation.azure-workload-identity.io", standins+"/azure", &metav1.LabelSelector{MatchLabels: map[string]string{azurewi.UseLabel: "true"}}, nil),
		e.webhookConfig("fig-injector-e2e", "inject.fig-injector.io", e.webhookURL+"/mutate", notIn("fig-first", "add-wi"), &ifNeeded),
		e.webhookConfig("a-fig-injector-e2e", "inject.fig-injector.io", e.webhookURL+"/mutate", in("fig-first"), &ifNeeded),
		e.webhookConfig("fig-injector-e2e-add-wi", "inject.fig-injector.io", e.addWIURL+"/mutate", in("add-wi"), &ifNeeded),
		e.webhookConfig("zz-extra-sidecar", "extra.e2e.fig-injector.io", standins+"/extra", &metav1.LabelSelector{MatchLabels: map[string]string{extraSidecarLabel: "true"}}, nil),
	}
	for _, c := range configs {
		if _, err := e.cluster.client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, c, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create %s: %w", c.Name, err)
		}
	}
	return e.waitForWebhooks(ctx)
}

func (e *environment) teardown() {
	if e.cancel != nil {
		e.cancel()
	}
	for _, done := range e.servers {
		<-done
	}
	for _, c := range e.closers {
		c()
	}
}

// settings are the chart defaults the in-process webhooks run with.
func (e *environment) settings(addWI bool) inject.Settings {
	return inject.Settings{
		Image:                   "ghcr.io/fig-injector/fig-injector:e2e",
		NativeSidecar:           true,
		Port:                    e.agentPort,
		FigAPIURI:               e.emu.fig,
		AllowedFigURIs:          []string{"https://fig-api.fig.svc:8080"},
		AllowedKeyVaultSuffixes: []string{"vault.azure.net", "127.0.0.1"},
		AllowIPLiterals:         true,
		AddWorkloadIdentity:     addWI,
		AzureClientID:           addWIClientID,
		AzureTenantID:           e2eTenant,
		AzureAuthorityHost:      e.emu.entra,
		// The emulators answer on 127.0.0.1, outside Azure's DNS suffixes.
		AzureDisableInstanceDiscovery:             true,
		AzureDisableChallengeResourceVerification: true,
		TrustBundle: &inject.ConfigMapRef{Name: trustConfigMap, Key: "ca.crt"},
	}
}

// startWebhook runs our webhook exactly as `fig-injector webhook` does
// (config, key pair and kubeconfig from files) on a loopback port.
func (e *environment) startWebhook(ctx context.Context, name string, addWI bool) (string, error) {
	dir := filepath.Join(e.dir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	cfg := webhook.Config{Settings: e.settings(addWI), ExcludedNamespaces: []string{"kube-system", "fig-system"}}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return "", err
	}
	leaf, err := e.ca.Issue()
	if err != nil {
		return "", err
	}
	files := map[string][]byte{"webhook.yaml": data, "tls.crt": leaf.CertPEM, "tls.key": leaf.KeyPEM}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			return "", err
		}
	}
	logFile, err := os.Create(filepath.Join(dir, "webhook.log"))
	if err != nil {
		return "", err
	}
	log := slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := webhook.NewServer(webhook.Options{
		CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key"),
		ConfigFile: filepath.Join(dir, "webhook.yaml"), Kubeconfig: e.cluster.kubeconfig,
	}, log)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln); logFile.Close() }()
	e.servers = append(e.servers, done)
	return "https://" + ln.Addr().String(), nil
}

// startStandIns serves the Azure Workload Identity stand-in (/azure) and a
// webhook that adds a container (/extra) on one loopback TLS server.
func (e *environment) startStandIns(ctx context.Context) (string, error) {
	tlsCfg, err := e.ca.TLSConfig()
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.Handle("/azure", &admission.Webhook{Handler: podMutator(func(p *corev1.Pod) {
		layout := azurewi.Layout(p.Annotations[azureLayoutAnnotation])
		azurewi.Mutate(p, azurewi.Options{
			Layout: layout, ClientID: azureClientID, TenantID: e2eTenant,
			AuthorityHost: e.emu.entra,
		})
	})})
	mux.Handle("/extra", &admission.Webhook{Handler: podMutator(func(p *corev1.Pod) {
		if !slices.ContainsFunc(p.Spec.Containers, func(c corev1.Container) bool { return c.Name == "extra" }) {
			p.Spec.Containers = append(p.Spec.Containers, restrictedContainer("extra"))
		}
	})})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: mux, TLSConfig: tlsCfg, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() {
		err := srv.ServeTLS(ln, "", "")
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	e.servers = append(e.servers, done)
	return "https://" + ln.Addr().String(), nil
}

// podMutator adapts a pod-changing function to an admission handler that
// patches by diff.
func podMutator(change func(*corev1.Pod)) admission.HandlerFunc {
	return func(_ context.Context, req admission.Request) admission.Response {
		var pod corev1.Pod
		if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		before, _ := json.Marshal(&pod)
		change(&pod)
		after, _ := json.Marshal(&pod)
		return admission.PatchResponseFromRaw(before, after)
	}
}

func (e *environment) webhookConfig(name, hook, url string, objects *metav1.LabelSelector, reinvoke *admissionregistrationv1.ReinvocationPolicyType) *admissionregistrationv1.MutatingWebhookConfiguration {
	fail := admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	timeout := int32(10)
	scope := admissionregistrationv1.NamespacedScope
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    hook,
			AdmissionReviewVersions: []string{"v1"},
			SideEffects:             &none,
			FailurePolicy:           &fail,
			TimeoutSeconds:          &timeout,
			ReinvocationPolicy:      reinvoke,
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: e.ca.CertPEM()},
			ObjectSelector:          objects,
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"kube-system", "fig-system"},
			}}},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}, Scope: &scope},
			}},
		}},
	}
}

// createNamespace creates a namespace with its default ServiceAccount (no
// controller-manager runs to create it), the trust-bundle ConfigMap (the
// emulators' CA) and the Fig client Secret orders-fig.
func (e *environment) createNamespace(ctx context.Context, name string, labels map[string]string) error {
	cs := e.cluster.client
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create service account: %w", err)
	}
	if _, err := cs.CoreV1().ConfigMaps(name).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: trustConfigMap},
		Data:       map[string]string{"ca.crt": string(e.dev.CA.CertPEM())},
	}, metav1.CreateOptions{}); err != nil {
		return err
	}
	_, err := cs.CoreV1().Secrets(name).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "orders-fig"},
		StringData: map[string]string{"secret": figClientSecret},
	}, metav1.CreateOptions{})
	return err
}

// waitForWebhooks creates dry-run pods until every configuration is in
// effect: the API server loads new configurations asynchronously.
func (e *environment) waitForWebhooks(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, variant := range []string{"", "fig-first", "add-wi"} {
		for {
			pod := newPod("probe", map[string]string{azurewi.UseLabel: "true", extraSidecarLabel: "true", variantLabel: variant}, basicAnnotations())
			if variant == "" {
				delete(pod.Labels, variantLabel)
			}
			got, err := e.cluster.client.CoreV1().Pods("e2e-probe").Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			if err == nil && agentIn(got) != nil && hasEnv(got.Spec.Containers[0], "AZURE_CLIENT_ID") && len(got.Spec.Containers) == 2 {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("webhooks not in effect for variant %q: last error %v", variant, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}
