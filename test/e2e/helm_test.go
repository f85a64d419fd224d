//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fig-injector/fig-injector/injector/webhook"
)

const (
	chartNS      = "fig-system"
	chartRelease = "fig-injector"
)

func helm(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(env.assets, "helm"), append([]string{"--kubeconfig", env.cluster.kubeconfig}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// TestHelmChartV3: the chart is also clean for Helm v3 (hack/e2e.sh builds
// it and sets E2E_HELM3), which many clusters' pipelines still run: lint
// --strict, and template with the optional parts on.
func TestHelmChartV3(t *testing.T) {
	helm3 := os.Getenv("E2E_HELM3")
	if helm3 == "" {
		t.Fatal("E2E_HELM3 is not set: run the suite through hack/e2e.sh, which builds Helm v3")
	}
	chart, err := filepath.Abs("../../charts/fig-injector")
	if err != nil {
		t.Fatal(err)
	}
	optional := []string{"--set", "certManager.enabled=true,serviceMonitor.enabled=true,replicaCount=3,podDisruptionBudget.maxUnavailable=1",
		"--set", "monitoring.prometheusRule.enabled=true,monitoring.dashboard.enabled=true",
		"--set", "rbac.configMapNamespaces={shop},podSecurityContext.runAsUser=null,networkPolicy.enabled=true",
		"--set-json", `networkPolicy.from=[{"ipBlock":{"cidr":"10.0.0.0/24"}}]`}
	for _, args := range [][]string{
		{"version", "--short"},
		{"lint", "--strict", chart},
		append([]string{"lint", "--strict", chart}, optional...),
		append([]string{"template", chartRelease, chart, "-n", chartNS}, optional...),
	} {
		out, err := exec.Command(helm3, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("helm v3 %v: %v\n%s", args, err, out)
		}
		if args[0] == "version" && !strings.HasPrefix(string(out), "v3.") {
			t.Fatalf("E2E_HELM3 is %s, not Helm v3", out)
		}
	}
}

// TestHelmChart installs the chart into the real API server (no --wait:
// nothing runs pods here), checks what it created, upgrades it and checks
// the generated certificate survived, then uninstalls it so its
// configuration (which points at a Service without endpoints, failing
// closed) does not catch the other tests' pods.
func TestHelmChart(t *testing.T) {
	chart, err := filepath.Abs("../../charts/fig-injector")
	if err != nil {
		t.Fatal(err)
	}
	helm(t, "lint", "--strict", chart)
	helm(t, "lint", "--strict", chart, "--set", "certManager.enabled=true,serviceMonitor.enabled=true")
	values := []string{"--set", "defaults.figApiUri=https://fig-api.fig.svc:8080"}
	helm(t, append([]string{"install", chartRelease, chart, "-n", chartNS, "--create-namespace"}, values...)...)
	t.Cleanup(func() { helm(t, "uninstall", chartRelease, "-n", chartNS) })

	ctx := context.Background()
	cs := env.cluster.client
	get := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	dep, err := cs.AppsV1().Deployments(chartNS).Get(ctx, chartRelease, metav1.GetOptions{})
	get("deployment", err)
	if *dep.Spec.Replicas != 2 || dep.Spec.Template.Spec.Affinity == nil || dep.Spec.Template.Spec.Affinity.PodAntiAffinity == nil {
		t.Errorf("deployment: replicas %d, affinity %+v", *dep.Spec.Replicas, dep.Spec.Template.Spec.Affinity)
	}
	_, err = cs.CoreV1().Services(chartNS).Get(ctx, chartRelease, metav1.GetOptions{})
	get("service", err)
	_, err = cs.PolicyV1().PodDisruptionBudgets(chartNS).Get(ctx, chartRelease, metav1.GetOptions{})
	get("pdb", err)
	_, err = cs.CoreV1().ServiceAccounts(chartNS).Get(ctx, chartRelease, metav1.GetOptions{})
	get("service account", err)
	_, err = cs.RbacV1().ClusterRoleBindings().Get(ctx, chartRelease, metav1.GetOptions{})
	get("cluster role binding", err)

	cm, err := cs.CoreV1().ConfigMaps(chartNS).Get(ctx, chartRelease, metav1.GetOptions{})
	get("configmap", err)
	cfg, err := webhook.ParseConfig([]byte(cm.Data["webhook.yaml"]))
	if err != nil {
		t.Fatalf("the chart's webhook config does not load: %v\n%s", err, cm.Data["webhook.yaml"])
	}
	if !cfg.NativeSidecar || cfg.FigAPIURI != "https://fig-api.fig.svc:8080" || !slices.Contains(cfg.ExcludedNamespaces, chartNS) {
		t.Errorf("webhook config from the chart: %+v", cfg)
	}

	secret, err := cs.CoreV1().Secrets(chartNS).Get(ctx, chartRelease+"-tls", metav1.GetOptions{})
	get("tls secret", err)
	mwc, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, chartRelease, metav1.GetOptions{})
	get("mutating webhook configuration", err)
	checkChartWebhook(t, mwc, secret)

	// The Deployment's pod passes the restricted standard (server-side dry run).
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "webhook-pod"}, Spec: *dep.Spec.Template.Spec.DeepCopy()}
	pod.Spec.ServiceAccountName = "default"
	if _, err := cs.CoreV1().Pods(restrictedNS).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Errorf("the webhook's own pod is not admitted in a restricted namespace: %v", err)
	}

	// Upgrade: the generated CA and certificate are looked up and reused.
	helm(t, append([]string{"upgrade", chartRelease, chart, "-n", chartNS}, values...)...)
	secret2, err := cs.CoreV1().Secrets(chartNS).Get(ctx, chartRelease+"-tls", metav1.GetOptions{})
	get("tls secret after upgrade", err)
	mwc2, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, chartRelease, metav1.GetOptions{})
	get("configuration after upgrade", err)
	if d := cmp.Diff(secret.Data, secret2.Data); d != "" {
		t.Errorf("upgrade regenerated the certificate:\n%s", d)
	}
	if !bytes.Equal(mwc.Webhooks[0].ClientConfig.CABundle, mwc2.Webhooks[0].ClientConfig.CABundle) {
		t.Error("upgrade changed the caBundle")
	}

	// An upgrade within renewBeforeDays of the expiry (forced here: more days
	// than the validity) rotates the pair, and the caBundle trusts the old CA
	// too, so the webhook's old certificate stays valid until the kubelet
	// syncs the new Secret.
	helm(t, append([]string{"upgrade", chartRelease, chart, "-n", chartNS, "--set", "certs.renewBeforeDays=400"}, values...)...)
	secret3, err := cs.CoreV1().Secrets(chartNS).Get(ctx, chartRelease+"-tls", metav1.GetOptions{})
	get("tls secret after rotation", err)
	mwc3, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, chartRelease, metav1.GetOptions{})
	get("configuration after rotation", err)
	if bytes.Equal(secret3.Data["tls.crt"], secret2.Data["tls.crt"]) {
		t.Error("an upgrade within renewBeforeDays kept the certificate")
	}
	bundle := mwc3.Webhooks[0].ClientConfig.CABundle
	if !bytes.HasPrefix(bundle, secret3.Data["ca.crt"]) || !bytes.Contains(bundle, secret2.Data["ca.crt"]) {
		t.Error("after rotation the caBundle does not trust both the new and the old CA")
	}
}

func checkChartWebhook(t *testing.T, mwc *admissionregistrationv1.MutatingWebhookConfiguration, secret *corev1.Secret) {
	t.Helper()
	w := mwc.Webhooks[0]
	if *w.FailurePolicy != admissionregistrationv1.Fail || *w.TimeoutSeconds > 10 || *w.ReinvocationPolicy != admissionregistrationv1.IfNeededReinvocationPolicy ||
		*w.SideEffects != admissionregistrationv1.SideEffectClassNone || !slices.Equal(w.AdmissionReviewVersions, []string{"v1"}) {
		t.Errorf("webhook %s: failurePolicy %v timeout %v reinvocation %v sideEffects %v versions %v",
			w.Name, *w.FailurePolicy, *w.TimeoutSeconds, *w.ReinvocationPolicy, *w.SideEffects, w.AdmissionReviewVersions)
	}
	if d := cmp.Diff(map[string]string{"fig-injector.io/inject": "true"}, w.ObjectSelector.MatchLabels); d != "" {
		t.Errorf("objectSelector: %s", d)
	}
	ns := w.NamespaceSelector.MatchExpressions
	if len(ns) != 1 || ns[0].Operator != metav1.LabelSelectorOpNotIn || !slices.Contains(ns[0].Values, chartNS) || !slices.Contains(ns[0].Values, "kube-system") {
		t.Errorf("namespaceSelector %+v must exclude %s and kube-system", ns, chartNS)
	}
	r := w.Rules[0]
	if !slices.Equal(r.Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create}) || !slices.Equal(r.Resources, []string{"pods"}) {
		t.Errorf("rules %+v", w.Rules)
	}
	if !bytes.Equal(w.ClientConfig.CABundle, secret.Data["ca.crt"]) {
		t.Fatal("caBundle is not the Secret's ca.crt")
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(secret.Data["ca.crt"]) {
		t.Fatal("ca.crt holds no certificate")
	}
	block, _ := pem.Decode(secret.Data["tls.crt"])
	if block == nil {
		t.Fatal("tls.crt holds no certificate")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	svc := w.ClientConfig.Service
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: svc.Name + "." + svc.Namespace + ".svc"}); err != nil {
		t.Errorf("serving certificate does not verify for the Service: %v", err)
	}
}
