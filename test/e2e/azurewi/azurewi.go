// Package azurewi is a stand-in for the Azure Workload Identity mutating
// webhook: it mutates a pod exactly as contracts/azure.md §10 says the
// upstream webhook does, in each of its known layouts, so tests can put it
// before or after fig-injector's webhook. It is test support, not product.
package azurewi

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Names the upstream webhook uses (contracts/azure.md §7, §10).
const (
	UseLabel                 = "azure.workload.identity/use"
	SkipContainersAnnotation = "azure.workload.identity/skip-containers"
	ConfigurationName        = "azure-wi-webhook-mutating-webhook-configuration"
	Audience                 = "api://AzureADTokenExchange"
)

// Layout is an upstream release's choice of volume name and paths.
type Layout string

// The layouts of contracts/azure.md §10.
const (
	// V15 (up to v1.5): volume azure-identity-token at /var/run/secrets/azure/tokens.
	V15 Layout = "v1.5"
	// V16: mounted at /var/run/secrets/azure/wi, token under token/.
	V16 Layout = "v1.6"
	// Main: volume and mount path derived from a hash of the pod name.
	Main Layout = "main"
)

// Options are what the upstream webhook reads from its own config and the
// service account.
type Options struct {
	Layout        Layout
	ClientID      string
	TenantID      string
	AuthorityHost string
	// ExpirationSeconds of the projected token; default 3600.
	ExpirationSeconds int64
}

// paths returns the volume name, mount path and token path within the volume.
func (o Options) paths(podName string) (volume, mountPath, tokenPath string) {
	switch o.Layout {
	case V16:
		return "azure-identity-token", "/var/run/secrets/azure/wi", "token/azure-identity-token"
	case Main:
		sum := sha256.Sum256([]byte(podName))
		name := ("azure-workload-identity-reserved-" + hex.EncodeToString(sum[:]))[:63]
		return name, "/var/run/secrets/azure/" + hex.EncodeToString(sum[:8]), "azure-identity-token"
	default:
		return "azure-identity-token", "/var/run/secrets/azure/tokens", "azure-identity-token"
	}
}

// TokenFile is where the token lands for a pod of that name.
func (o Options) TokenFile(podName string) string {
	_, mp, tp := o.paths(podName)
	return path.Join(mp, tp)
}

// Mutate does what the upstream webhook does to a pod labelled
// azure.workload.identity/use=true: for every init and regular container
// not listed in skip-containers, add each AZURE_* env var the container does
// not set already (when its value is non-empty) and a read-only mount of the
// projected token volume (unless a mount of that name exists); then add the
// volume to the pod unless present.
func Mutate(pod *corev1.Pod, o Options) {
	exp := o.ExpirationSeconds
	if exp == 0 {
		exp = 3600
	}
	name := pod.Name
	if name == "" {
		name = pod.GenerateName
	}
	vol, mountPath, tokenPath := o.paths(name)
	skip := map[string]bool{}
	for _, c := range strings.Split(pod.Annotations[SkipContainersAnnotation], ";") {
		if c = strings.TrimSpace(c); c != "" {
			skip[c] = true
		}
	}
	env := []corev1.EnvVar{
		{Name: "AZURE_CLIENT_ID", Value: o.ClientID},
		{Name: "AZURE_TENANT_ID", Value: o.TenantID},
		{Name: "AZURE_FEDERATED_TOKEN_FILE", Value: path.Join(mountPath, tokenPath)},
		{Name: "AZURE_AUTHORITY_HOST", Value: o.AuthorityHost},
	}
	mutate := func(list []corev1.Container) {
		for i := range list {
			c := &list[i]
			if skip[c.Name] {
				continue
			}
			for _, e := range env {
				if e.Value != "" && !slices.ContainsFunc(c.Env, func(x corev1.EnvVar) bool { return x.Name == e.Name }) {
					c.Env = append(c.Env, e)
				}
			}
			if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == vol }) {
				c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: mountPath, ReadOnly: true})
			}
		}
	}
	mutate(pod.Spec.InitContainers)
	mutate(pod.Spec.Containers)
	if !slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == vol }) {
		mode := int32(0o644)
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Audience: Audience, ExpirationSeconds: &exp, Path: tokenPath,
			}}},
			DefaultMode: &mode,
		}}})
	}
}
