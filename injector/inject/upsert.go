package inject

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// The upserts below are what make Mutate idempotent: each finds its object
// by name, replaces it in place if present, and otherwise adds it. Running
// them again with the same input changes nothing.

// upsertVolume replaces the volume of the same name or appends it.
func upsertVolume(vols []corev1.Volume, v corev1.Volume) []corev1.Volume {
	for i := range vols {
		if vols[i].Name == v.Name {
			vols[i] = v
			return vols
		}
	}
	return append(vols, v)
}

// removeVolumes drops the named volumes.
func removeVolumes(vols []corev1.Volume, names ...string) []corev1.Volume {
	return slices.DeleteFunc(vols, func(v corev1.Volume) bool { return slices.Contains(names, v.Name) })
}

// upsertMount replaces the mount of the same name or appends it.
func upsertMount(mounts []corev1.VolumeMount, m corev1.VolumeMount) []corev1.VolumeMount {
	for i := range mounts {
		if mounts[i].Name == m.Name {
			mounts[i] = m
			return mounts
		}
	}
	return append(mounts, m)
}

// upsertInitContainers updates each injected init container in place
// (mergeContainer), and puts new ones at the front (in order) so the file
// exists before any app init container runs.
func upsertInitContainers(list []corev1.Container, add []corev1.Container) []corev1.Container {
	var front []corev1.Container
	for _, c := range add {
		if i := indexOf(list, c.Name); i >= 0 {
			list[i] = mergeContainer(list[i], c)
		} else {
			front = append(front, c)
		}
	}
	return append(front, list...)
}

// upsertContainers updates each injected container in place or appends it
// (after the app containers, so kubectl's default container stays the app).
func upsertContainers(list []corev1.Container, add []corev1.Container) []corev1.Container {
	for _, c := range add {
		if i := indexOf(list, c.Name); i >= 0 {
			list[i] = mergeContainer(list[i], c)
		} else {
			list = append(list, c)
		}
	}
	return list
}

// removeAgentContainers drops injected containers that the current mode does
// not want (the pod's mode annotation changed between passes).
func removeAgentContainers(list []corev1.Container, keep []corev1.Container) []corev1.Container {
	return slices.DeleteFunc(list, func(c corev1.Container) bool {
		return isAgentContainer(c.Name) && indexOf(keep, c.Name) < 0
	})
}

func indexOf(list []corev1.Container, name string) int {
	return slices.IndexFunc(list, func(c corev1.Container) bool { return c.Name == name })
}

// mergeContainer rebuilds an injected container that is already in the
// pod: it is want, plus only what the API server's in-tree admission
// plugins add between invocations. The API server re-runs them when it
// reinvokes webhooks, so the ServiceAccount plugin adds its token mount to
// our container, and a LimitRange may add resources; removing them again
// would only start another round and make the stored pod depend on it.
//
// Nothing else survives, whoever put it there: a container the pod's author
// named like ours keeps none of its envFrom, env (HTTPS_PROXY,
// SSL_CERT_FILE would redirect or re-trust the agent's connections), mounts,
// probes or lifecycle hooks. The workload identity's env and mount, which
// the Azure webhook may add after us, are part of want (findIdentity).
func mergeContainer(have, want corev1.Container) corev1.Container {
	out := *want.DeepCopy()
	for _, m := range have.VolumeMounts {
		if isServiceAccountMount(m) && !slices.ContainsFunc(out.VolumeMounts, func(w corev1.VolumeMount) bool { return w.Name == m.Name || w.MountPath == m.MountPath }) {
			out.VolumeMounts = append(out.VolumeMounts, m)
		}
	}
	for _, pair := range [][2]corev1.ResourceList{{have.Resources.Requests, out.Resources.Requests}, {have.Resources.Limits, out.Resources.Limits}} {
		for k, v := range pair[0] {
			if _, set := pair[1][k]; !set && pair[1] != nil {
				pair[1][k] = v
			}
		}
	}
	if out.Resources.Limits == nil && have.Resources.Limits != nil {
		out.Resources.Limits = have.Resources.Limits.DeepCopy()
	}
	if out.Resources.Requests == nil && have.Resources.Requests != nil {
		out.Resources.Requests = have.Resources.Requests.DeepCopy()
	}
	return out
}

// serviceAccountMountPath is where the ServiceAccount admission plugin
// mounts the API token into every container.
const serviceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// isServiceAccountMount reports whether m is the ServiceAccount plugin's
// read-only token mount, the one mount another party may add to ours.
func isServiceAccountMount(m corev1.VolumeMount) bool {
	return m.MountPath == serviceAccountMountPath && m.ReadOnly && m.SubPath == "" && m.SubPathExpr == ""
}

// ownVolumes are the volumes Mutate may add; only these are removed from an
// injected container when no longer wanted.
var ownVolumes = []string{VolumeName, TemplateVolumeName, ConfigVolumeName, ClientSecretVolumeName, TrustVolumeName, TokenVolumeName, RelayTokenVolumeName}
