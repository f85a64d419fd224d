package inject_test

import (
	"testing"

	"github.com/fig-injector/fig-injector/injector/inject"
)

// TestPlatformAssignsUser (issue 12 item 14): on OpenShift the restricted
// SCC assigns every container of a pod one UID from the namespace's range
// and refuses a pod that fixes another, so the agent's UID could not be
// overridden into anything that runs there. With PlatformAssignsUser the
// agent sets no UID or GID (still non-root), the pod gains no supplemental
// group, and a signal notification needs no runAsUser on the app.
func TestPlatformAssignsUser(t *testing.T) {
	s := testSettings()
	s.PlatformAssignsUser = true
	for _, notify := range []string{"", "signal:SIGHUP:dotnet"} {
		t.Run("notify "+notify, func(t *testing.T) {
			extra := []string{}
			if notify != "" {
				extra = append(extra, inject.NotifyAnnotation, notify)
			}
			pod := newPod(basic(extra...))
			if err := mutate(t, pod, s, ""); err != nil {
				t.Fatal(err)
			}
			sc := agentIn(pod).SecurityContext
			if sc.RunAsUser != nil || sc.RunAsGroup != nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
				t.Errorf("agent securityContext %+v: want no UID or GID, runAsNonRoot true", sc)
			}
			if psc := pod.Spec.SecurityContext; psc != nil && len(psc.SupplementalGroups) > 0 {
				t.Errorf("supplementalGroups %v, want none", psc.SupplementalGroups)
			}
		})
	}
}
