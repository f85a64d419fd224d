package inject

import (
	"slices"
	"strings"

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

// mergeContainer updates an injected container that is already in the pod:
// every field Mutate sets is taken from want, and what other admission
// plugins added is kept. The API server re-runs its in-tree plugins when it
// reinvokes webhooks, so the ServiceAccount plugin adds its token mount to
// our container, and a LimitRange may add resources; removing them again
// would only start another round and make the stored pod depend on it.
//
// Env vars and volume mounts are merged by name: want's entries first, in
// want's order, then the existing entries that are neither in want nor ours
// (ours are dropped when want no longer has them, e.g. after a mode change).
// Resource keys want does not set are kept.
func mergeContainer(have, want corev1.Container) corev1.Container {
	out := *have.DeepCopy()
	out.Image, out.ImagePullPolicy = want.Image, want.ImagePullPolicy
	out.Command, out.Args = want.Command, want.Args
	out.Ports, out.StartupProbe, out.RestartPolicy = want.Ports, want.StartupProbe, want.RestartPolicy
	out.SecurityContext = want.SecurityContext
	out.TerminationMessagePath, out.TerminationMessagePolicy = want.TerminationMessagePath, want.TerminationMessagePolicy

	out.Env = want.Env
	for _, e := range have.Env {
		if !slices.ContainsFunc(want.Env, func(w corev1.EnvVar) bool { return w.Name == e.Name }) && !ownEnv(e.Name) {
			out.Env = append(out.Env, e)
		}
	}
	out.VolumeMounts = want.VolumeMounts
	for _, m := range have.VolumeMounts {
		if !slices.ContainsFunc(want.VolumeMounts, func(w corev1.VolumeMount) bool { return w.Name == m.Name }) && !slices.Contains(ownVolumes, m.Name) {
			out.VolumeMounts = append(out.VolumeMounts, m)
		}
	}
	out.Resources = *want.Resources.DeepCopy()
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

// ownVolumes are the volumes Mutate may add; only these are removed from an
// injected container when no longer wanted.
var ownVolumes = []string{VolumeName, TemplateVolumeName, ConfigVolumeName, ClientSecretVolumeName, TrustVolumeName, TokenVolumeName}

func ownEnv(name string) bool {
	return name == ConfigEnvVar || name == FigAPIURIEnvVar || strings.HasPrefix(name, azureEnvPrefix)
}
