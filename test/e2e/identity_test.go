//go:build e2e

package e2e

import (
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/test/e2e/azurewi"
)

// TestWorkloadIdentityBothOrders stores pods through the Azure Workload
// Identity stand-in and our webhook in both orders, for each upstream
// layout. Either way the agent must carry the app's AZURE_* env and the
// mount holding AZURE_FEDERATED_TOKEN_FILE.
func TestWorkloadIdentityBothOrders(t *testing.T) {
	for _, layout := range []azurewi.Layout{azurewi.V15, azurewi.V16, azurewi.Main} {
		var agents []corev1.Container
		for _, order := range []string{"azure-first", "fig-first"} {
			t.Run(fmt.Sprintf("%s/%s", layout, order), func(t *testing.T) {
				labels := map[string]string{azurewi.UseLabel: "true"}
				if order == "fig-first" {
					labels[variantLabel] = "fig-first"
				}
				name := strings.ReplaceAll(fmt.Sprintf("wi-%s-%s", layout, order), ".", "")
				pod := newPod(name, labels, basicAnnotations(azureLayoutAnnotation, string(layout)))
				before := admissions(t, env.webhookURL)
				stored := mustCreate(t, pod)
				after := admissions(t, env.webhookURL)
				// Whatever the order and however often the API server calls us,
				// only the first call changes the pod: a reinvocation converges.
				if n := after["injected"] - before["injected"]; n != 1 {
					t.Errorf("%v calls patched the pod, want 1 (calls: %v)", n, after.total()-before.total())
				}
				checkInjected(t, stored)
				agent := agentIn(stored)
				app := containerNamed(stored.Spec.Containers, "app")
				tokenFile := envValue(app, inject.AzureTokenFileEnvVar)
				if tokenFile == "" || envValue(agent, inject.AzureTokenFileEnvVar) != tokenFile {
					t.Fatalf("app token file %q, agent %q", tokenFile, envValue(agent, inject.AzureTokenFileEnvVar))
				}
				for _, name := range []string{inject.AzureClientIDEnvVar, inject.AzureTenantIDEnvVar, inject.AzureAuthorityHostEnvVar} {
					if envValue(agent, name) != envValue(app, name) || envValue(agent, name) == "" {
						t.Errorf("agent %s = %q, app has %q", name, envValue(agent, name), envValue(app, name))
					}
				}
				if !mountCovers(agent, tokenFile) {
					t.Errorf("agent mounts %+v do not contain %s", agent.VolumeMounts, tokenFile)
				}
				count := 0
				for _, e := range agent.Env {
					if e.Name == inject.AzureTokenFileEnvVar {
						count++
					}
				}
				if count != 1 {
					t.Errorf("agent has %s %d times", inject.AzureTokenFileEnvVar, count)
				}
				agents = append(agents, withoutPodSpecificToken(*agent, tokenFile))
			})
		}
		if len(agents) == 2 {
			if d := cmp.Diff(agents[0], agents[1]); d != "" {
				t.Errorf("%s: agent differs between orders (-azure first +fig first):\n%s", layout, d)
			}
		}
	}
}

// withoutPodSpecificToken blanks the token path and mount, which the newest
// upstream layout derives from the pod's name (different per test pod), and
// the ServiceAccount plugin's volume name (random per pod).
func withoutPodSpecificToken(c corev1.Container, tokenFile string) corev1.Container {
	c = *c.DeepCopy()
	for i := range c.Env {
		if c.Env[i].Name == inject.AzureTokenFileEnvVar {
			c.Env[i].Value = "<token file>"
		}
	}
	for i := range c.VolumeMounts {
		if strings.HasPrefix(tokenFile, path.Clean(c.VolumeMounts[i].MountPath)+"/") {
			c.VolumeMounts[i].Name, c.VolumeMounts[i].MountPath = "<token volume>", "<token dir>"
		}
		if strings.HasPrefix(c.VolumeMounts[i].Name, "kube-api-access-") {
			c.VolumeMounts[i].Name = "kube-api-access-<random>"
		}
	}
	return c
}

func mountCovers(c *corev1.Container, file string) bool {
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(file, path.Clean(m.MountPath)+"/") {
			return true
		}
	}
	return false
}

// TestAddWorkloadIdentity: without an Azure webhook, ours adds the projected
// token (audience api://AzureADTokenExchange) and env; the API server
// accepts it in a restricted namespace.
func TestAddWorkloadIdentity(t *testing.T) {
	stored := mustCreate(t, newPod("add-wi", map[string]string{variantLabel: "add-wi"}, basicAnnotations(inject.AzureClientIDAnnotation, "pod-client-id")))
	agent := agentIn(stored)
	if got := envValue(agent, inject.AzureClientIDEnvVar); got != "pod-client-id" {
		t.Errorf("AZURE_CLIENT_ID = %q, want the pod's annotation", got)
	}
	if got := envValue(agent, inject.AzureTokenFileEnvVar); got != path.Join(inject.TokenMountPath, inject.TokenFileName) || !mountCovers(agent, got) {
		t.Errorf("AZURE_FEDERATED_TOKEN_FILE = %q, mounts %+v", got, agent.VolumeMounts)
	}
	var vol *corev1.Volume
	for i := range stored.Spec.Volumes {
		if stored.Spec.Volumes[i].Name == inject.TokenVolumeName {
			vol = &stored.Spec.Volumes[i]
		}
	}
	if vol == nil || vol.Projected == nil || vol.Projected.Sources[0].ServiceAccountToken.Audience != inject.TokenAudience {
		t.Fatalf("token volume %+v", vol)
	}
	if app := containerNamed(stored.Spec.Containers, "app"); hasEnv(*app, inject.AzureTokenFileEnvVar) {
		t.Error("the app container got the agent's identity")
	}
}
