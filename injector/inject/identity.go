package inject

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/config"
)

// identity is the workload identity the agent containers get: AZURE_* env
// and the volumeMount holding the federated token.
type identity struct {
	env   []corev1.EnvVar
	mount *corev1.VolumeMount
	// ownVolume is set when the webhook adds its own projected token volume.
	ownVolume bool
	// from is the container whose identity is copied ("" for our own).
	from string
}

// checkAuthority refuses an identity whose AZURE_AUTHORITY_HOST is not the
// cluster's authority: the agent sends the pod's federated token there, and
// the env is copied from an app container, which the pod's author writes.
// A value taken from elsewhere (valueFrom) cannot be checked, so it is
// refused too. The agent checks the variable again when it starts.
func (id identity) checkAuthority(authority string) error {
	for _, e := range id.env {
		if e.Name != AzureAuthorityHostEnvVar {
			continue
		}
		where := fmt.Sprintf("env %s of container %q", e.Name, id.from)
		fix := "remove it, or set it to the cluster's authority " + authority + " (the agent copies the container's workload identity and sends the pod's token there)"
		switch {
		case e.ValueFrom != nil:
			return annotationErr(where, fix, "is set from a reference (valueFrom), which admission cannot check")
		case !config.SameAuthorityHost(e.Value, authority):
			return annotationErr(where, fix, "%q is not the cluster's authority", e.Value)
		}
	}
	return nil
}

// findIdentity decides where the agent's workload identity comes from, in
// this order of preference (contracts/azure.md §10):
//
//  1. An app container already carries it (the Azure Workload Identity
//     webhook ran before us, which is the usual order since its
//     configuration's name sorts first): copy its AZURE_* env and the
//     volumeMount that contains AZURE_FEDERATED_TOKEN_FILE, as it has them.
//     The path is read from the env, never assumed: it differs between the
//     upstream releases.
//  2. Settings.AddWorkloadIdentity (no Azure webhook in the cluster): our own
//     projected token (audience api://AzureADTokenExchange) and env.
//  3. Our own containers carry it from an earlier pass (the Azure webhook ran
//     after us, skipping the app containers): keep it.
//  4. Nothing: if the Azure webhook runs after us it adds env and mount to
//     every container, ours included.
func findIdentity(pod *corev1.Pod, r *Request, s *Settings) identity {
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range list {
			if isAgentContainer(list[i].Name) {
				continue
			}
			if id, ok := identityOf(&list[i]); ok {
				return id
			}
		}
	}
	if s.AddWorkloadIdentity {
		return ownIdentity(r, s)
	}
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			if !isAgentContainer(list[i].Name) {
				continue
			}
			if id, ok := identityOf(&list[i]); ok {
				return id
			}
		}
	}
	return identity{}
}

// identityOf returns a container's AZURE_* env and the mount whose path
// contains the file AZURE_FEDERATED_TOKEN_FILE names (the deepest, if mounts
// nest). A container with the env but no such mount carries no identity.
func identityOf(c *corev1.Container) (identity, bool) {
	var tokenFile string
	for _, e := range c.Env {
		if e.Name == AzureTokenFileEnvVar && e.ValueFrom == nil {
			tokenFile = path.Clean(e.Value)
		}
	}
	if !path.IsAbs(tokenFile) {
		return identity{}, false
	}
	var best *corev1.VolumeMount
	for i := range c.VolumeMounts {
		m := &c.VolumeMounts[i]
		mp := path.Clean(m.MountPath)
		if strings.HasPrefix(tokenFile, strings.TrimSuffix(mp, "/")+"/") && (best == nil || len(mp) > len(path.Clean(best.MountPath))) {
			best = m
		}
	}
	if best == nil {
		return identity{}, false
	}
	id := identity{mount: best.DeepCopy(), from: c.Name}
	for _, e := range c.Env {
		if strings.HasPrefix(e.Name, azureEnvPrefix) {
			id.env = append(id.env, *e.DeepCopy())
		}
	}
	return id, true
}

// ownIdentity is the projected token and env the webhook adds itself, in the
// order the upstream webhook writes them. Empty values are left out, as
// upstream does.
func ownIdentity(r *Request, s *Settings) identity {
	id := identity{
		ownVolume: true,
		mount:     &corev1.VolumeMount{Name: TokenVolumeName, MountPath: TokenMountPath, ReadOnly: true},
	}
	clientID, tenantID := firstNonEmpty(r.AzureClientID, s.AzureClientID), firstNonEmpty(r.AzureTenantID, s.AzureTenantID)
	for _, e := range []corev1.EnvVar{
		{Name: AzureClientIDEnvVar, Value: clientID},
		{Name: AzureTenantIDEnvVar, Value: tenantID},
		{Name: AzureTokenFileEnvVar, Value: path.Join(TokenMountPath, TokenFileName)},
		{Name: AzureAuthorityHostEnvVar, Value: s.AzureAuthorityHost},
	} {
		if e.Value != "" {
			id.env = append(id.env, e)
		}
	}
	return id
}

// tokenVolume is a projected service-account token for audience at
// file: ownIdentity's, and the relay's in sidecar modes when the cluster
// runs one.
func tokenVolume(name, audience, file string) corev1.Volume {
	exp := TokenExpirationSeconds
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
			Audience: audience, ExpirationSeconds: &exp, Path: file,
		}}},
		DefaultMode: ptr(defaultFileMode),
	}}}
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
