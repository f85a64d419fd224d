package inject_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/test/e2e/azurewi"
)

func agentContainer(t *testing.T, pod *corev1.Pod) corev1.Container {
	t.Helper()
	for _, c := range pod.Spec.InitContainers {
		if c.Name == inject.AgentContainerName {
			return c
		}
	}
	t.Fatalf("pod has no init container %s", inject.AgentContainerName)
	return corev1.Container{}
}

// TestWorkloadIdentityEitherOrder runs the Azure webhook stand-in before and
// after ours (with our reinvocation, as reinvocationPolicy IfNeeded makes the
// API server do) and expects the same agent container either way, with the
// env and token mount exactly as the app container has them.
func TestWorkloadIdentityEitherOrder(t *testing.T) {
	s := testSettings()
	for _, layout := range []azurewi.Layout{azurewi.V15, azurewi.V16, azurewi.Main} {
		t.Run(string(layout), func(t *testing.T) {
			o := azurewi.Options{Layout: layout, ClientID: "cid", TenantID: "tid", AuthorityHost: "https://login.microsoftonline.com/"}

			azureFirst := newPod(basic())
			azurewi.Mutate(azureFirst, o)
			if err := mutate(t, azureFirst, s, ""); err != nil {
				t.Fatal(err)
			}

			oursFirst := newPod(basic())
			if err := mutate(t, oursFirst, s, ""); err != nil {
				t.Fatal(err)
			}
			azurewi.Mutate(oursFirst, o)
			afterAzure := oursFirst.DeepCopy()
			if err := mutate(t, oursFirst, s, ""); err != nil { // reinvocation
				t.Fatal(err)
			}
			if d := cmp.Diff(afterAzure, oursFirst); d != "" {
				t.Errorf("reinvocation after the Azure webhook changed the pod (-before +after):\n%s", d)
			}
			if d := cmp.Diff(agentContainer(t, azureFirst), agentContainer(t, oursFirst)); d != "" {
				t.Errorf("agent container depends on webhook order (-azure first +ours first):\n%s", d)
			}

			agent := agentContainer(t, azureFirst)
			var tokenFile string
			for _, e := range agent.Env {
				if e.Name == inject.AzureTokenFileEnvVar {
					tokenFile = e.Value
				}
			}
			if want := o.TokenFile("orders"); tokenFile != want {
				t.Errorf("AZURE_FEDERATED_TOKEN_FILE = %q, want %q", tokenFile, want)
			}
			app := azureFirst.Spec.Containers[0]
			if d := cmp.Diff(app.VolumeMounts[0], agent.VolumeMounts[len(agent.VolumeMounts)-1]); d != "" {
				t.Errorf("token mount not copied as the app has it:\n%s", d)
			}
		})
	}
}

// TestWorkloadIdentityAzureSkippedApps: the Azure webhook ran after us and
// skipped every app container, so only our container carries the identity;
// a reinvocation must keep it.
func TestWorkloadIdentityAzureSkippedApps(t *testing.T) {
	s := testSettings()
	pod := newPod(basic(), annotations(azurewi.SkipContainersAnnotation, "app"))
	if err := mutate(t, pod, s, ""); err != nil {
		t.Fatal(err)
	}
	azurewi.Mutate(pod, azurewi.Options{Layout: azurewi.V15, ClientID: "cid"})
	before := pod.DeepCopy()
	if err := mutate(t, pod, s, ""); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, pod); d != "" {
		t.Errorf("reinvocation dropped the identity the Azure webhook gave our container:\n%s", d)
	}
}

// TestWorkloadIdentityNone: without the Azure webhook (yet) and without
// AddWorkloadIdentity, the agent gets no AZURE_* env, so a later Azure
// webhook can add its own.
func TestWorkloadIdentityNone(t *testing.T) {
	pod := newPod(basic())
	if err := mutate(t, pod, testSettings(), ""); err != nil {
		t.Fatal(err)
	}
	for _, e := range agentContainer(t, pod).Env {
		if strings.HasPrefix(e.Name, "AZURE_") {
			t.Errorf("unexpected env %s", e.Name)
		}
	}
}

// TestAddWorkloadIdentityYieldsToAzure: with AddWorkloadIdentity on and the
// Azure webhook present after all, the copy from the app wins and our own
// token volume is removed on reinvocation.
func TestAddWorkloadIdentityYieldsToAzure(t *testing.T) {
	s := testSettings()
	s.AddWorkloadIdentity = true
	pod := newPod(basic())
	if err := mutate(t, pod, s, ""); err != nil {
		t.Fatal(err)
	}
	azurewi.Mutate(pod, azurewi.Options{Layout: azurewi.V16, ClientID: "cid"})
	if err := mutate(t, pod, s, ""); err != nil {
		t.Fatal(err)
	}
	for _, v := range pod.Spec.Volumes {
		if v.Name == inject.TokenVolumeName {
			t.Errorf("own token volume kept although the pod carries the Azure webhook's")
		}
	}
	var mounts []string
	for _, m := range agentContainer(t, pod).VolumeMounts {
		mounts = append(mounts, m.Name)
	}
	if d := cmp.Diff([]string{inject.VolumeName, inject.ClientSecretVolumeName, "azure-identity-token"}, mounts); d != "" {
		t.Errorf("agent mounts (-want +got):\n%s", d)
	}
}

// TestAppAuthorityHostIsCheckedAtAdmission: the agent copies an app
// container's workload identity env, AZURE_AUTHORITY_HOST included, and
// sends the pod's federated token to that authority. It used to be copied
// unchecked (and the agent exempted it from the rule); now admission
// compares it with the cluster's authority like any endpoint, and refuses a
// value it cannot see (valueFrom).
func TestAppAuthorityHostIsCheckedAtAdmission(t *testing.T) {
	s := testSettings()
	s.ApplyDefaults()
	tests := []struct {
		name      string
		authority string
		valueFrom bool
		denial    string // "" = admitted
	}{
		{"the cluster's authority", s.AzureAuthorityHost, false, ""},
		{"the cluster's authority without the slash", strings.TrimSuffix(s.AzureAuthorityHost, "/"), false, ""},
		{"another authority", "https://login.evil.example/", false,
			`env AZURE_AUTHORITY_HOST of container "app": "https://login.evil.example/" is not the cluster's authority; fix: remove it, or set it to the cluster's authority ` + s.AzureAuthorityHost},
		{"a reference", s.AzureAuthorityHost, true, `env AZURE_AUTHORITY_HOST of container "app": is set from a reference (valueFrom), which admission cannot check`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pod := newPod(basic())
			azurewi.Mutate(pod, azurewi.Options{Layout: azurewi.Main, ClientID: "cid", TenantID: "tid", AuthorityHost: tc.authority})
			for i, e := range pod.Spec.Containers[0].Env {
				if e.Name == inject.AzureAuthorityHostEnvVar && tc.valueFrom {
					pod.Spec.Containers[0].Env[i] = corev1.EnvVar{Name: e.Name, ValueFrom: &corev1.EnvVarSource{
						ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "authority"}}}
				}
			}
			expectDenial(t, mutate(t, pod, s, ""), tc.denial)
		})
	}
}
