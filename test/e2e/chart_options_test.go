//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/fig-injector/fig-injector/injector/webhook"
)

// rendered is `helm template` of the chart, parsed: every object by kind.
type rendered map[string][]*unstructured.Unstructured

// renderChart runs `helm template` with extra arguments (--set …) and
// parses every document; err is helm's failure, with its output.
func renderChart(t *testing.T, args ...string) (rendered, error) {
	t.Helper()
	chart, err := filepath.Abs("../../charts/fig-injector")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(env.assets, "helm"), append([]string{"template", chartRelease, chart, "-n", chartNS}, args...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, errors.New(stderr.String())
	}
	objs := rendered{}
	dec := utilyaml.NewYAMLOrJSONDecoder(&out, 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			t.Fatalf("helm template %v: unparseable output: %v", args, err)
		}
		if u.Object != nil {
			objs[u.GetKind()] = append(objs[u.GetKind()], &u)
		}
	}
}

func mustRender(t *testing.T, args ...string) rendered {
	t.Helper()
	r, err := renderChart(t, args...)
	if err != nil {
		t.Fatalf("helm template %v: %v", args, err)
	}
	return r
}

// one returns the only object of a kind.
func (r rendered) one(t *testing.T, kind string) *unstructured.Unstructured {
	t.Helper()
	if len(r[kind]) != 1 {
		t.Fatalf("rendered %d %s objects, want 1", len(r[kind]), kind)
	}
	return r[kind][0]
}

func field(t *testing.T, u *unstructured.Unstructured, path ...string) any {
	t.Helper()
	v, _, err := unstructured.NestedFieldNoCopy(u.Object, path...)
	if err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), strings.Join(path, "."), err)
	}
	return v
}

// TestChartPodDisruptionBudget (issue 12 item 14): a one-replica install
// used to get a PDB with minAvailable 1, which blocks every node drain.
func TestChartPodDisruptionBudget(t *testing.T) {
	if pdbs := mustRender(t, "--set", "replicaCount=1")["PodDisruptionBudget"]; len(pdbs) != 0 {
		t.Errorf("one replica renders %d PodDisruptionBudgets, want none", len(pdbs))
	}
	pdb := mustRender(t).one(t, "PodDisruptionBudget")
	if v := field(t, pdb, "spec", "minAvailable"); fmt.Sprint(v) != "1" {
		t.Errorf("two replicas: minAvailable %v, want 1", v)
	}
	pdb = mustRender(t, "--set", "podDisruptionBudget.maxUnavailable=1").one(t, "PodDisruptionBudget")
	if fmt.Sprint(field(t, pdb, "spec", "maxUnavailable")) != "1" || field(t, pdb, "spec", "minAvailable") != nil {
		t.Errorf("maxUnavailable=1 renders %v", pdb.Object["spec"])
	}
}

// TestChartCertificates (issue 12 item 14): the generated certificate lives
// a year (not ten) with its expiry recorded for rotation on upgrade; `helm
// template` renders a new one every run (documented), while a user-supplied
// Secret renders the same every time and generates nothing.
func TestChartCertificates(t *testing.T) {
	first, second := mustRender(t), mustRender(t)
	secret := first.one(t, "Secret")
	notAfter, err := time.Parse(time.RFC3339, secret.GetAnnotations()["fig-injector.io/not-after"])
	if err != nil {
		t.Fatalf("generated Secret's not-after annotation: %v", err)
	}
	if d := time.Until(notAfter); d < 364*24*time.Hour || d > 366*24*time.Hour {
		t.Errorf("generated certificate valid for %s, want a year", d.Round(time.Hour))
	}
	if field(t, secret, "data", "tls.crt") == field(t, second.one(t, "Secret"), "data", "tls.crt") {
		t.Error("two helm template runs rendered the same generated certificate: lookup cannot work there, the README says it changes")
	}

	bundle := base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	own := []string{"--set", "certs.existingSecret=my-tls", "--set", "certs.caBundle=" + bundle}
	a, b := mustRender(t, own...), mustRender(t, own...)
	if len(a["Secret"]) != 0 {
		t.Errorf("existingSecret still renders %d Secrets", len(a["Secret"]))
	}
	mwc := a.one(t, "MutatingWebhookConfiguration")
	hooks := field(t, mwc, "webhooks").([]any)
	if got := hooks[0].(map[string]any)["clientConfig"].(map[string]any)["caBundle"]; got != bundle {
		t.Errorf("caBundle %v, want certs.caBundle", got)
	}
	vols := field(t, a.one(t, "Deployment"), "spec", "template", "spec", "volumes").([]any)
	if got := vols[0].(map[string]any)["secret"].(map[string]any)["secretName"]; got != "my-tls" {
		t.Errorf("the webhook mounts Secret %v, want my-tls", got)
	}
	if field(t, mwc, "webhooks") == nil || !equalRendered(t, a, b) {
		t.Error("with existingSecret two helm template runs differ")
	}
	for _, bad := range [][]string{
		{"--set", "certs.existingSecret=my-tls"},
		{"--set", "certs.existingSecret=my-tls", "--set", "certs.caBundle=" + bundle, "--set", "certManager.enabled=true"},
	} {
		if _, err := renderChart(t, bad...); err == nil {
			t.Errorf("helm template %v succeeded, want an error naming the fix", bad)
		}
	}
}

func equalRendered(t *testing.T, a, b rendered) bool {
	t.Helper()
	for kind, objs := range a {
		for i, o := range objs {
			if i >= len(b[kind]) || !equalObject(o, b[kind][i]) {
				return false
			}
		}
	}
	return true
}

func equalObject(a, b *unstructured.Unstructured) bool {
	ja, _ := a.MarshalJSON()
	jb, _ := b.MarshalJSON()
	return bytes.Equal(ja, jb)
}

// TestChartSecurityContexts (issue 12 item 14): the webhook's security
// contexts can be overridden, down to removing the fixed UID for
// OpenShift's assigned ranges.
func TestChartSecurityContexts(t *testing.T) {
	dep := mustRender(t).one(t, "Deployment")
	if fmt.Sprint(field(t, dep, "spec", "template", "spec", "securityContext", "runAsUser")) != "65532" {
		t.Error("the default pod securityContext lost runAsUser 65532")
	}
	dep = mustRender(t, "--set", "podSecurityContext.runAsUser=null", "--set", "podSecurityContext.runAsGroup=null",
		"--set", "securityContext.runAsUser=null", "--set", "securityContext.runAsGroup=null").one(t, "Deployment")
	pod := field(t, dep, "spec", "template", "spec", "securityContext").(map[string]any)
	ctr := field(t, dep, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)["securityContext"].(map[string]any)
	for what, sc := range map[string]map[string]any{"pod": pod, "container": ctr} {
		if _, ok := sc["runAsUser"]; ok {
			t.Errorf("%s securityContext still sets runAsUser: %v", what, sc)
		}
		if sc["runAsNonRoot"] != true {
			t.Errorf("%s securityContext lost runAsNonRoot: %v", what, sc)
		}
	}
	// The injected agent's UID can be left to the platform too.
	cm := mustRender(t, "--set", "agent.platformAssignsUser=true").one(t, "ConfigMap")
	cfg, err := webhook.ParseConfig([]byte(fmt.Sprint(field(t, cm, "data", "webhook.yaml"))))
	if err != nil || !cfg.PlatformAssignsUser {
		t.Errorf("agent.platformAssignsUser does not reach the webhook config: %v, %+v", err, cfg)
	}
}

// TestChartConfigMapRBAC (issue 12 item 14): ConfigMap reads can be scoped
// to namespaces (a Role each) instead of the cluster.
func TestChartConfigMapRBAC(t *testing.T) {
	r := mustRender(t, "--set", "rbac.configMapNamespaces={shop,billing}")
	if len(r["ClusterRole"])+len(r["ClusterRoleBinding"]) != 0 {
		t.Errorf("scoped RBAC still renders cluster-wide objects")
	}
	var got []string
	for _, role := range r["Role"] {
		got = append(got, role.GetNamespace())
	}
	if strings.Join(got, ",") != "shop,billing" || len(r["RoleBinding"]) != 2 {
		t.Errorf("Roles in %v and %d RoleBindings, want shop,billing and 2", got, len(r["RoleBinding"]))
	}
	if len(mustRender(t)["ClusterRole"]) != 1 {
		t.Error("the default lost its ClusterRole")
	}
	// With the relay, its ServiceAccount reads the same ConfigMaps (it authorizes ConfigMap-configured
	// subscribers against their config), cluster-wide or in the same namespaces only.
	relay := []string{"--set", "relay.enabled=true", "--set", "relay.webhookSecretHash.secretName=fig-hook"}
	for _, tc := range []struct {
		name string
		args []string
		kind string
		want int
	}{{"cluster-wide", relay, "ClusterRoleBinding", 1}, {"scoped", append(relay, "--set", "rbac.configMapNamespaces={shop,billing}"), "RoleBinding", 2}} {
		n := 0
		for _, b := range mustRender(t, tc.args...)[tc.kind] {
			if field(t, b, "roleRef", "name") == chartRelease && strings.Contains(fmt.Sprint(field(t, b, "subjects")), "name:"+chartRelease+"-relay ") {
				n++
			}
		}
		if n != tc.want {
			t.Errorf("%s: %d %ss give the relay the ConfigMap role, want %d", tc.name, n, tc.kind, tc.want)
		}
	}
}

// TestChartNetworkPolicyAndMemoryLimit (issue 12 item 4): the NetworkPolicy
// is off by default, refuses to render without peers, and admits only them
// to the webhook's port; the webhook is told its memory limit.
func TestChartNetworkPolicyAndMemoryLimit(t *testing.T) {
	if nps := mustRender(t)["NetworkPolicy"]; len(nps) != 0 {
		t.Errorf("the default renders %d NetworkPolicies", len(nps))
	}
	if _, err := renderChart(t, "--set", "networkPolicy.enabled=true"); err == nil || !strings.Contains(err.Error(), "networkPolicy.from") {
		t.Errorf("enabled without peers: %v, want an error naming networkPolicy.from", err)
	}
	np := mustRender(t, "--set", "networkPolicy.enabled=true", "--set-json", `networkPolicy.from=[{"ipBlock":{"cidr":"10.0.0.0/24"}}]`).one(t, "NetworkPolicy")
	rule := field(t, np, "spec", "ingress").([]any)[0].(map[string]any)
	if port := rule["ports"].([]any)[0].(map[string]any)["port"]; fmt.Sprint(port) != "8443" {
		t.Errorf("NetworkPolicy port %v, want 8443", port)
	}
	if cidr := rule["from"].([]any)[0].(map[string]any)["ipBlock"].(map[string]any)["cidr"]; cidr != "10.0.0.0/24" {
		t.Errorf("NetworkPolicy peer %v", cidr)
	}
	ctr := field(t, mustRender(t).one(t, "Deployment"), "spec", "template", "spec", "containers").([]any)[0].(map[string]any)
	args, env := ctr["args"].([]any), ctr["env"].([]any)
	ref := env[0].(map[string]any)["valueFrom"].(map[string]any)["resourceFieldRef"].(map[string]any)
	if !strings.Contains(strings.Join(toStrings(args), " "), "--memory-limit=$(FIG_INJECTOR_MEMORY_LIMIT)") || ref["resource"] != "limits.memory" {
		t.Errorf("the webhook is not told its memory limit: args %v, env %v", args, env)
	}
}

func toStrings(list []any) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i], _ = v.(string)
	}
	return out
}

// TestChartRelay (issue 14): the relay is off by default; enabled, it needs
// the web hook secret hash, gets its own Deployment, Service, ServiceAccount
// and RBAC (TokenReview create, pod get: nothing else), pods that neither the
// webhook's Service nor its Deployment select, and a serving certificate
// that names its Service.
func TestChartRelay(t *testing.T) {
	for _, kind := range []string{"ServiceAccount", "ClusterRole", "Service", "Deployment"} {
		for _, o := range mustRender(t)[kind] {
			if strings.Contains(o.GetName(), "relay") {
				t.Errorf("the default renders %s %s", kind, o.GetName())
			}
		}
	}
	if _, err := renderChart(t, "--set", "relay.enabled=true"); err == nil || !strings.Contains(err.Error(), "relay.webhookSecretHash.secretName") {
		t.Errorf("enabled without the hash: %v, want an error naming relay.webhookSecretHash.secretName", err)
	}
	if cm := mustRender(t).one(t, "ConfigMap"); strings.Contains(fmt.Sprint(field(t, cm, "data", "webhook.yaml")), "relay") {
		t.Errorf("the default webhook config names a relay:\n%s", field(t, cm, "data", "webhook.yaml"))
	}
	r := mustRender(t, "--set", "relay.enabled=true", "--set", "relay.webhookSecretHash.secretName=fig-hook")
	relayName := chartRelease + "-relay" // the release name holds the chart name: fullname is the release name
	byName := func(kind, name string) *unstructured.Unstructured {
		t.Helper()
		for _, o := range r[kind] {
			if o.GetName() == name {
				return o
			}
		}
		t.Fatalf("no %s %s rendered", kind, name)
		return nil
	}
	dep := byName("Deployment", relayName)
	ctr := field(t, dep, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)
	args := strings.Join(toStrings(ctr["args"].([]any)), " ")
	for _, want := range []string{"relay ", "--webhook-secret-hash-file=/etc/fig-injector/webhook-secret/hash", "--audience=fig-injector-relay", "--vault-interval=60s"} {
		if !strings.Contains(args, want) {
			t.Errorf("relay args %q lack %q", args, want)
		}
	}
	if sa := field(t, dep, "spec", "template", "spec", "serviceAccountName"); sa != relayName {
		t.Errorf("relay runs as %v, want its own ServiceAccount %s", sa, relayName)
	}
	podLabels := field(t, dep, "spec", "template", "metadata", "labels").(map[string]any)
	webhookSvc := byName("Service", chartRelease)
	selects := true
	for k, v := range field(t, webhookSvc, "spec", "selector").(map[string]any) {
		if podLabels[k] != v {
			selects = false
		}
	}
	if selects {
		t.Errorf("the webhook's Service selects the relay's pods (labels %v)", podLabels)
	}
	rules := field(t, byName("ClusterRole", relayName), "rules").([]any)
	var got []string
	for _, rule := range rules {
		m := rule.(map[string]any)
		got = append(got, fmt.Sprint(m["apiGroups"], m["resources"], m["verbs"]))
	}
	if want := "[authentication.k8s.io] [tokenreviews] [create];[] [pods] [get]"; strings.Join(got, ";") != want {
		t.Errorf("relay ClusterRole rules %q, want %q", strings.Join(got, ";"), want)
	}
	crt, err := base64.StdEncoding.DecodeString(field(t, r.one(t, "Secret"), "data", "tls.crt").(string))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(crt)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if want := relayName + "." + chartNS + ".svc"; !slices.Contains(cert.DNSNames, want) {
		t.Errorf("serving certificate names %v, not the relay's %s", cert.DNSNames, want)
	}
	// The webhook subscribes injected sidecars to the relay's Service with the relay's audience;
	// without relay.enabled it names no relay.
	cfg, err := webhook.ParseConfig([]byte(fmt.Sprint(field(t, byName("ConfigMap", chartRelease), "data", "webhook.yaml"))))
	if err != nil {
		t.Fatalf("webhook config: %v", err)
	}
	if want := "https://" + relayName + "." + chartNS + ".svc:8443"; cfg.RelayURL != want || cfg.RelayAudience != "fig-injector-relay" {
		t.Errorf("webhook config relay %q audience %q, want %q and fig-injector-relay", cfg.RelayURL, cfg.RelayAudience, want)
	}
	if strings.Contains(args, "--peer-service") || len(r["Role"]) != 1 {
		t.Errorf("one replica forwards to peers: args %q, %d Roles (want only the offline copies' one)", args, len(r["Role"]))
	}
	// Offline copies (on by default): Secrets in the release namespace only, the namespace passed.
	offline := byName("Role", relayName+"-offline")
	if offline.GetNamespace() != chartNS || fmt.Sprint(field(t, offline, "rules")) != "[map[apiGroups:[] resources:[secrets] verbs:[get list create update delete]]]" {
		t.Errorf("relay offline Role in %s: %v", offline.GetNamespace(), field(t, offline, "rules"))
	}
	if binding := byName("RoleBinding", relayName+"-offline"); binding.GetNamespace() != chartNS {
		t.Errorf("relay offline RoleBinding in %s, want %s", binding.GetNamespace(), chartNS)
	}
	for _, want := range []string{"--offline-namespace=" + chartNS, "--offline-retention=720h"} {
		if !strings.Contains(args, want) {
			t.Errorf("relay args %q lack %q", args, want)
		}
	}
	off := mustRender(t, "--set", "relay.enabled=true", "--set", "relay.webhookSecretHash.secretName=fig-hook", "--set", "relay.offline.enabled=false")
	for _, o := range append(off["Role"], off["Deployment"]...) {
		if y, _ := o.MarshalJSON(); strings.Contains(string(y), "offline") || strings.Contains(string(y), "secrets\"") {
			t.Errorf("relay.offline.enabled=false still renders offline copies in %s %s", o.GetKind(), o.GetName())
		}
	}

	// Replicas: a headless Service of the replicas, list/watch on EndpointSlices in the release
	// namespace only, and the flags and token that forwarding needs.
	r = mustRender(t, "--set", "relay.enabled=true", "--set", "relay.webhookSecretHash.secretName=fig-hook", "--set", "relay.replicaCount=3")
	dep = byName("Deployment", relayName)
	if n := fmt.Sprint(field(t, dep, "spec", "replicas")); n != "3" {
		t.Errorf("relay replicas %s, want 3", n)
	}
	ctr = field(t, dep, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)
	args = strings.Join(toStrings(ctr["args"].([]any)), " ")
	for _, want := range []string{"--peer-service=" + relayName + "-peers", "--service-account=" + relayName, "--pod-ip=$(POD_IP)",
		"--pod-name=$(POD_NAME)", "--lease-name=" + relayName,
		"--token-file=/var/run/secrets/fig-injector/relay/token", "--peer-server-name=" + relayName + "." + chartNS + ".svc"} {
		if !strings.Contains(args, want) {
			t.Errorf("relay args %q lack %q", args, want)
		}
	}
	if ip := field(t, byName("Service", relayName+"-peers"), "spec", "clusterIP"); ip != "None" {
		t.Errorf("peers Service clusterIP %v, want None (headless)", ip)
	}
	role := byName("Role", relayName)
	if role.GetNamespace() != chartNS || fmt.Sprint(field(t, role, "rules")) != "[map[apiGroups:[discovery.k8s.io] resources:[endpointslices] verbs:[list watch]] "+
		"map[apiGroups:[coordination.k8s.io] resources:[leases] verbs:[create]] "+
		"map[apiGroups:[coordination.k8s.io] resourceNames:["+relayName+"] resources:[leases] verbs:[get update]]]" {
		t.Errorf("relay Role in %s: %v", role.GetNamespace(), field(t, role, "rules"))
	}
}
