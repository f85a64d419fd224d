//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/fig-injector/fig-injector/injector/dev/devca"
	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
	"github.com/fig-injector/fig-injector/injector/webhook"
	"github.com/fig-injector/fig-injector/test/e2e/azurewi"
)

// The kind and AKS walkthroughs cannot run here (no Docker engine, no Azure), so every manifest
// they apply is proven against the real API server instead: server-side dry run (admission,
// validation, defaulting, Pod Security), the chart rendered with each walkthrough's values, and
// each sample pod injected by our webhook's code with those values and then admitted in its
// restricted namespace.

// exampleNamespace receives the chart's namespaced objects; the walkthroughs use fig-system,
// which TestHelmChart owns here.
const exampleNamespace = "examples-fig-system"

// Values the AKS walkthrough substitutes with envsubst.
var aksVars = map[string]string{
	"ACR_SERVER": "figdemoacr.azurecr.io",
	"KV_NAME":    "fig-demo-kv",
	"CLIENT_ID":  "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
	"TENANT_ID":  "0a1b2c3d-0000-4000-8000-000000000001",
}

func TestExamplesKind(t *testing.T) {
	dir := exampleDir(t, "kind")
	exApplyNamespaces(t, filepath.Join(dir, "manifests", "namespaces.yaml"))
	for _, f := range exYAMLFiles(t, filepath.Join(dir, "manifests")) {
		t.Run(filepath.Base(f), func(t *testing.T) { exDryRun(t, f, nil, false) })
	}

	t.Run("ca kustomization", func(t *testing.T) {
		// up.sh makes ca.crt and ca.key with openssl; a devca-made pair has the same shape.
		tmp := t.TempDir()
		if _, err := devca.LoadOrCreate(tmp); err != nil {
			t.Fatal(err)
		}
		k, err := os.ReadFile(filepath.Join(dir, "ca", "kustomization.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, "kustomization.yaml"), k, 0o600); err != nil {
			t.Fatal(err)
		}
		out := exKubectl(t, nil, "apply", "--dry-run=server", "-k", tmp)
		for _, want := range []string{"secret/fig-dev-ca created", "configmap/fig-dev-ca created"} {
			if !strings.Contains(out, want) {
				t.Errorf("kubectl apply -k ca: %q missing from:\n%s", want, out)
			}
		}
	})

	settings := exChart(t, filepath.Join(dir, "values.yaml"))
	if !settings.AddWorkloadIdentity || settings.TrustBundle == nil || settings.TrustBundle.Name != "fig-dev-ca" {
		t.Errorf("kind values: addWorkloadIdentity %v, trustBundle %+v", settings.AddWorkloadIdentity, settings.TrustBundle)
	}

	t.Run("sample pod injected and admitted", func(t *testing.T) {
		dep := exDeployment(t, exDocs(t, filepath.Join(dir, "manifests", "sample-app.yaml"), nil), "orders")
		pod := exPod(dep)
		req, err := inject.ParseRequest(pod)
		if err != nil {
			t.Fatalf("the sample app's annotations are denied: %v", err)
		}
		if err := inject.Mutate(pod, req, settings); err != nil {
			t.Fatalf("the webhook with values.yaml denies the sample app: %v", err)
		}
		agent := agentIn(pod)
		if agent == nil {
			t.Fatal("no agent injected")
		}
		if got := envValue(agent, inject.AzureClientIDEnvVar); got != pod.Annotations[inject.AzureClientIDAnnotation] {
			t.Errorf("agent %s = %q, want the pod annotation's client ID", inject.AzureClientIDEnvVar, got)
		}
		if !slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == inject.TokenVolumeName }) {
			t.Errorf("no projected token volume %s (workloadIdentity.add)", inject.TokenVolumeName)
		}
		exAdmit(t, pod)
	})
}

func TestExamplesAKS(t *testing.T) {
	dir := exampleDir(t, "aks")
	files := exYAMLFiles(t, dir)
	for _, f := range files {
		if filepath.Base(f) != "values.yaml" {
			exApplyNamespaces(t, f)
		}
	}
	for _, f := range files {
		if filepath.Base(f) == "values.yaml" {
			continue
		}
		// fig's namespace enforces baseline and warns about restricted: the upstream Fig API image
		// does not declare a numeric non-root user, and the warning says so to whoever applies it.
		warnOK := filepath.Base(f) == "fig-api.yaml"
		t.Run(filepath.Base(f), func(t *testing.T) { exDryRun(t, f, aksVars, warnOK) })
	}

	settings := exChart(t, filepath.Join(dir, "values.yaml"), "--set", "image.repository="+aksVars["ACR_SERVER"]+"/fig-injector",
		"--set", "workloadIdentity.tenantId="+aksVars["TENANT_ID"])
	if !settings.AddWorkloadIdentity || !settings.AllowHTTP || settings.FigAPIURI != "http://fig-api.fig.svc:8080" {
		t.Errorf("aks values: addWorkloadIdentity %v allowHttp %v figApiUri %q", settings.AddWorkloadIdentity, settings.AllowHTTP, settings.FigAPIURI)
	}

	t.Run("settings.yaml declares the Key Vault reference as not secret", func(t *testing.T) {
		cm, _ := aksConfig(t, dir)
		d, err := contract.ParseDeclaration([]byte(cm.Data["settings.yaml"]))
		if err != nil {
			t.Fatalf("settings.yaml (fig.register) is rejected: %v", err)
		}
		for _, s := range d.Settings {
			// Fig never sends a secret setting's value to its web client: a reference declared
			// secret would be hidden there and overwritten by whoever edits it blind.
			if s.Name == "PaymentApiKey" && s.IsSecret {
				t.Error("PaymentApiKey holds only a reference and must not be declared secret")
			}
		}
	})

	// Narrow identity (docs/security.md): AKS's Azure webhook runs first and skips the app
	// container (azure.workload.identity/skip-containers); ours gives the agent alone an identity.
	t.Run("narrow identity: agent only", func(t *testing.T) {
		cm, sa := aksConfig(t, dir)
		pod := exPod(exDeployment(t, exDocs(t, filepath.Join(dir, "orders.yaml"), aksVars), "orders"))
		azurewi.Mutate(pod, azurewi.Options{
			Layout: azurewi.V16, ClientID: sa.Annotations[inject.AzureClientIDAnnotation],
			TenantID: aksVars["TENANT_ID"], AuthorityHost: "https://login.microsoftonline.com/",
		})
		req, err := inject.ParseRequest(pod)
		if err != nil {
			t.Fatalf("the sample app's annotations are denied: %v", err)
		}
		if err := req.LoadConfig([]byte(cm.Data[inject.DefaultConfigKey])); err != nil {
			t.Fatalf("the agent config in ConfigMap %s is rejected: %v", cm.Name, err)
		}
		if err := inject.Mutate(pod, req, settings); err != nil {
			t.Fatalf("the webhook with values.yaml denies the sample app: %v", err)
		}
		for _, c := range pod.Spec.Containers {
			if c.Name != "app" {
				continue
			}
			for _, e := range c.Env {
				if strings.HasPrefix(e.Name, "AZURE_") {
					t.Errorf("app container carries %s: it should get no Azure identity", e.Name)
				}
			}
			for _, m := range c.VolumeMounts {
				if strings.Contains(m.MountPath, "azure") {
					t.Errorf("app container mounts %s (%s): it should get no token", m.Name, m.MountPath)
				}
			}
		}
		agent := agentIn(pod)
		if agent == nil {
			t.Fatal("no agent injected")
		}
		for name, want := range map[string]string{inject.AzureClientIDEnvVar: aksVars["CLIENT_ID"], inject.AzureTenantIDEnvVar: aksVars["TENANT_ID"]} {
			if got := envValue(agent, name); got != want {
				t.Errorf("agent %s = %q, want %q", name, got, want)
			}
		}
		if !slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == inject.TokenVolumeName }) {
			t.Errorf("no projected token volume %s for the agent", inject.TokenVolumeName)
		}
		delete(pod.Labels, azurewi.UseLabel) // mutated already: keep the suite's Azure stand-in out
		exAdmit(t, pod)
	})

	// The walkthrough's commands live in one script; every step README.md names must exist there.
	t.Run("README steps exist in walkthrough.sh", func(t *testing.T) {
		readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		script, err := os.ReadFile(filepath.Join(dir, "walkthrough.sh"))
		if err != nil {
			t.Fatal(err)
		}
		steps := regexp.MustCompile(`walkthrough\.sh ([a-z]+)`).FindAllStringSubmatch(string(readme), -1)
		if len(steps) < 10 {
			t.Fatalf("README.md names %d walkthrough steps, want every step", len(steps))
		}
		for _, m := range steps {
			if !strings.Contains(string(script), "\n"+m[1]+"() {") {
				t.Errorf("README.md runs 'walkthrough.sh %s', which the script does not define", m[1])
			}
		}
	})
}

// aksConfig returns the AKS walkthrough's agent ConfigMap and ServiceAccount, substituted.
func aksConfig(t *testing.T, dir string) (corev1.ConfigMap, corev1.ServiceAccount) {
	t.Helper()
	var cm corev1.ConfigMap
	var sa corev1.ServiceAccount
	for _, d := range exDocs(t, filepath.Join(dir, "orders.yaml"), aksVars) {
		switch exKind(t, d) {
		case "ConfigMap":
			exUnmarshal(t, d, &cm)
		case "ServiceAccount":
			exUnmarshal(t, d, &sa)
		}
	}
	return cm, sa
}

// exampleDir is examples/<name>, absolute.
func exampleDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// exYAMLFiles lists the .yaml files directly in dir.
func exYAMLFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s (%v)", dir, err)
	}
	return files
}

// exKubectl runs the suite's kubectl against its API server and returns stdout and stderr
// together (dry-run warnings arrive on stderr).
func exKubectl(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(env.assets, "kubectl"), append([]string{"--kubeconfig", env.cluster.kubeconfig}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// exDocs reads a manifest file with the walkthrough's variables substituted (envsubst, only the
// named ones) and splits it into documents.
func exDocs(t *testing.T, file string, vars map[string]string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range vars {
		data = bytes.ReplaceAll(data, []byte("${"+k+"}"), []byte(v))
	}
	if m := regexp.MustCompile(`\$\{[A-Za-z_]+\}`).Find(data); m != nil {
		t.Fatalf("%s: %s is not substituted by the walkthrough", file, m)
	}
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(d, "")) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func exKind(t *testing.T, doc []byte) string {
	t.Helper()
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		t.Fatalf("decode: %v\n%s", err, doc)
	}
	return tm.Kind
}

func exUnmarshal(t *testing.T, doc []byte, v any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(doc, v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, doc)
	}
}

// exApplyNamespaces creates the file's Namespaces for real: a dry-run Namespace does not exist
// for the dry run of the objects in it.
func exApplyNamespaces(t *testing.T, file string) {
	t.Helper()
	for _, d := range exDocs(t, file, aksVars) {
		if exKind(t, d) == "Namespace" {
			exKubectl(t, d, "apply", "-f", "-")
		}
	}
}

// exDryRun applies the file with --dry-run=server. Unless warnOK, any warning (a Pod Security
// violation of a workload's template, a deprecated API, an unknown field) fails the test.
func exDryRun(t *testing.T, file string, vars map[string]string, warnOK bool) {
	t.Helper()
	var all []byte
	for _, d := range exDocs(t, file, vars) {
		all = append(append(all, d...), []byte("\n---\n")...)
	}
	out := exKubectl(t, all, "apply", "--dry-run=server", "--validate=strict", "-f", "-")
	if strings.Contains(out, "Warning:") && !warnOK {
		t.Errorf("%s: warnings on dry run:\n%s", file, out)
	}
	t.Logf("%s:\n%s", filepath.Base(file), out)
}

// exChart renders the chart with a walkthrough's values for this cluster's version, dry-runs the
// result and returns the settings the webhook would run with (its config, parsed and validated
// exactly as `fig-injector webhook` does).
func exChart(t *testing.T, values string, extra ...string) inject.Settings {
	t.Helper()
	chart, err := filepath.Abs(filepath.Join("..", "..", "charts", "fig-injector"))
	if err != nil {
		t.Fatal(err)
	}
	version, err := env.cluster.client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: exampleNamespace}}
	if _, err := env.cluster.client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"template", "fig-injector", chart, "-n", exampleNamespace, "-f", values, "--kube-version", version.GitVersion}, extra...)
	cmd := exec.CommandContext(ctx, filepath.Join(env.assets, "helm"), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	rendered := out.Bytes()
	if o := exKubectl(t, rendered, "apply", "--dry-run=server", "--validate=strict", "-f", "-"); strings.Contains(o, "Warning:") {
		t.Errorf("chart with %s: warnings on dry run:\n%s", values, o)
	}
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(rendered), -1) {
		var cm corev1.ConfigMap
		if err := yaml.Unmarshal([]byte(d), &cm); err != nil || cm.Kind != "ConfigMap" || cm.Data["webhook.yaml"] == "" {
			continue
		}
		cfg, err := webhook.ParseConfig([]byte(cm.Data["webhook.yaml"]))
		if err != nil {
			t.Fatalf("the webhook rejects its config rendered from %s: %v\n%s", values, err, cm.Data["webhook.yaml"])
		}
		return cfg.Settings
	}
	t.Fatalf("the chart rendered no webhook ConfigMap with %s", values)
	return inject.Settings{}
}

// exDeployment finds the named Deployment among the documents.
func exDeployment(t *testing.T, docs [][]byte, name string) *appsv1.Deployment {
	t.Helper()
	for _, d := range docs {
		if exKind(t, d) != "Deployment" {
			continue
		}
		var dep appsv1.Deployment
		exUnmarshal(t, d, &dep)
		if dep.Name == name {
			return &dep
		}
	}
	t.Fatalf("no Deployment %s", name)
	return nil
}

// exPod is the pod the Deployment's ReplicaSet would create.
func exPod(dep *appsv1.Deployment) *corev1.Pod {
	tmpl := dep.Spec.Template.DeepCopy()
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: dep.Name + "-example", Namespace: dep.Namespace, Labels: tmpl.Labels, Annotations: tmpl.Annotations},
		Spec:       tmpl.Spec,
	}
}

// exAdmit creates the injected pod with a server-side dry run in its namespace (restricted Pod
// Security in both walkthroughs). The injection label is removed first: the pod is mutated
// already, and the suite's own webhooks (with other allowlists) must not see it.
func exAdmit(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	ctx := context.Background()
	cs := env.cluster.client
	// No controller-manager runs here to create ServiceAccounts; admission needs the pod's.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: pod.Spec.ServiceAccountName}}
	if _, err := cs.CoreV1().ServiceAccounts(pod.Namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	delete(pod.Labels, inject.InjectLabel)
	if _, err := cs.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("the injected pod is not admitted in namespace %s: %v", pod.Namespace, err)
	}
}
