package inject

import (
	"fmt"
	"path"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// plan is everything Mutate decided before it touches the pod.
type plan struct {
	mode         Mode
	agent        *agentPlan
	apps         []string // containers that get the read-only mount
	runAsUser    int64    // the agent's UID
	identity     identity
	template     *ConfigMapRef
	configMap    *ConfigMapRef
	clientSecret ClientSecretRef
	shareProcess bool
	appVersion   string // for the agent's FIG_INJECTOR_APP_VERSION
}

// Mutate injects the agent into pod as req asks, within settings. It is pure
// (no I/O) and idempotent: running it on its own output changes nothing,
// because every step is an upsert by name and every injected object is
// rebuilt from the same inputs. In order:
//
//  1. Plan: the agent config (from annotations or the loaded ConfigMap
//     config) with every URI checked against the allowlists; the mode; the
//     app containers; the agent's UID; the workload identity (findIdentity).
//  2. Volumes: the memory emptyDir with its sizeLimit, and the ConfigMap,
//     Secret and token volumes the plan needs; injected volumes the plan no
//     longer needs are removed.
//  3. Agent containers for the mode, first among initContainers or last
//     among containers, each passing the restricted Pod Security Standard
//     and carrying the allowlists in its environment, so the agent enforces
//     them on what changes after admission (its ConfigMap config, Key Vault
//     references in Fig values).
//  4. A read-only mount of the shared volume in each selected app container.
//  5. Pod: supplementalGroups gains the agent's GID (unless the platform
//     assigns the UID, Settings.PlatformAssignsUser), so app containers can
//     read the 0440 file; shareProcessNamespace for signal notifications.
//
// A problem with the request is an *AnnotationError (an admission denial);
// pod is left unchanged when Mutate returns an error.
func Mutate(pod *corev1.Pod, req Request, settings Settings) error {
	s := &settings
	s.ApplyDefaults()
	p, err := newPlan(pod, &req, s)
	if err != nil {
		return err
	}
	pod.Spec.Volumes = applyVolumes(pod.Spec.Volumes, p, s)

	inits, sidecars := agentContainers(p, s)
	pod.Spec.InitContainers = upsertInitContainers(removeAgentContainers(pod.Spec.InitContainers, inits), inits)
	pod.Spec.Containers = upsertContainers(removeAgentContainers(pod.Spec.Containers, sidecars), sidecars)
	if len(pod.Spec.InitContainers) == 0 {
		pod.Spec.InitContainers = nil
	}

	appMount := corev1.VolumeMount{Name: VolumeName, MountPath: p.agent.mountDir, ReadOnly: true}
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			if slices.Contains(p.apps, list[i].Name) {
				list[i].VolumeMounts = upsertMount(list[i].VolumeMounts, appMount)
			}
		}
	}

	if pod.Spec.SecurityContext == nil {
		pod.Spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	if gid := s.RunAsUser; !s.PlatformAssignsUser && !slices.Contains(pod.Spec.SecurityContext.SupplementalGroups, gid) {
		pod.Spec.SecurityContext.SupplementalGroups = append(pod.Spec.SecurityContext.SupplementalGroups, gid)
	}
	if p.shareProcess {
		pod.Spec.ShareProcessNamespace = ptr(true)
	}
	return nil
}

func newPlan(pod *corev1.Pod, r *Request, s *Settings) (*plan, error) {
	mode := r.Mode
	if mode == "" {
		mode = s.defaultMode()
	}
	agent, err := buildAgentConfig(r, s, mode)
	if err != nil {
		return nil, err
	}
	p := &plan{
		agent:        agent,
		mode:         mode,
		template:     r.Template,
		configMap:    r.ConfigMap,
		clientSecret: r.ClientSecret,
		runAsUser:    s.RunAsUser,
		shareProcess: agent.cfg.Notify.Signal != nil || (restartOf(agent.cfg) != nil && restartOf(agent.cfg).Signal != nil),
	}
	if p.mode == ModeNative && !s.NativeSidecar {
		return nil, annotationErr(ModeAnnotation, "use classic (init container + sidecar) on this cluster", "native sidecars are not enabled in this cluster (Kubernetes ≥ 1.29 and the chart's nativeSidecar)")
	}
	if p.mode == ModeNative && agent.port == 0 {
		return nil, annotationErr(ConfigConfigMapAnnotation, `set listen: ":9102" in the config, or use mode classic`, "mode native needs the agent's /readyz, but the config sets no listen address")
	}
	if err := checkRestart(pod, agent.cfg, p.mode); err != nil {
		return nil, err
	}
	if p.apps, err = selectApps(pod, r, agent.mountDir); err != nil {
		return nil, err
	}
	p.appVersion = appVersion(pod, r, p.apps)
	if err := checkAgentOnlyMounts(pod, p.apps); err != nil {
		return nil, err
	}
	if p.shareProcess && !s.PlatformAssignsUser {
		signalSource := NotifyAnnotation
		if agent.cfg.Notify.Signal == nil {
			signalSource = restartSource(pod) // only the restart action signals
		}
		if p.runAsUser, err = appUser(pod, p.apps, signalSource); err != nil {
			return nil, err
		}
	}
	p.identity = findIdentity(pod, r, s)
	if err := p.identity.checkAuthority(s.AzureAuthorityHost); err != nil {
		return nil, err
	}
	return p, nil
}

// selectApps returns the containers that get the mount: those the
// annotation lists, or every regular app container. A container that already
// mounts something else at the mount path is an error: mounting over it
// would hide its files.
func selectApps(pod *corev1.Pod, r *Request, mountDir string) ([]string, error) {
	apps := r.Containers
	if apps == nil {
		for _, c := range pod.Spec.Containers {
			if !isAgentContainer(c.Name) {
				apps = append(apps, c.Name)
			}
		}
	}
	annotation := OutputPathAnnotation
	if r.ConfigMap != nil {
		annotation = ConfigConfigMapAnnotation
	}
	for _, c := range append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...) {
		if !slices.Contains(apps, c.Name) {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name != VolumeName && path.Clean(m.MountPath) == mountDir {
				return nil, annotationErr(annotation, "write the output to a directory no container mounts yet, e.g. /fig/appsettings.json",
					"container %q already mounts volume %q at %s", c.Name, m.Name, mountDir)
			}
		}
	}
	return apps, nil
}

// agentOnlyVolumes hold what only the agent may read: the client secret,
// its config and template, the trust bundle, the token it adds.
var agentOnlyVolumes = []string{ClientSecretVolumeName, ConfigVolumeName, TemplateVolumeName, TrustVolumeName, TokenVolumeName, RelayTokenVolumeName}

// checkAgentOnlyMounts refuses a pod whose own containers mount a volume
// the webhook owns: one of agentOnlyVolumes (the pod's author names a
// volume like ours to read the agent's client secret once ours replaces
// it), or the shared volume in a container that does not get the webhook's
// read-only mount (it could rewrite the file the app reads). A selected app
// container's mount of the shared volume is replaced by the webhook's.
func checkAgentOnlyMounts(pod *corev1.Pod, apps []string) error {
	for _, c := range append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...) {
		if isAgentContainer(c.Name) {
			continue
		}
		for _, m := range c.VolumeMounts {
			if slices.Contains(agentOnlyVolumes, m.Name) || (m.Name == VolumeName && !slices.Contains(apps, c.Name)) {
				return annotationErr(fmt.Sprintf("volumeMounts of container %q", c.Name), "remove the mount, or rename the volume: names starting with fig-injector belong to the webhook",
					"mounts volume %q, which only the fig-injector agent may mount", m.Name)
			}
		}
	}
	return nil
}

// appUser is the UID of the first selected app container: signalling a
// process needs the same UID when no capability is allowed (restricted Pod
// Security drops them all), so the agent runs as the app.
func appUser(pod *corev1.Pod, apps []string, annotation string) (int64, error) {
	for _, c := range append(slices.Clone(pod.Spec.Containers), pod.Spec.InitContainers...) {
		if !slices.Contains(apps, c.Name) {
			continue
		}
		var uid *int64
		if pod.Spec.SecurityContext != nil {
			uid = pod.Spec.SecurityContext.RunAsUser
		}
		if c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil {
			uid = c.SecurityContext.RunAsUser
		}
		if uid == nil || *uid == 0 {
			return 0, annotationErr(annotation, fmt.Sprintf("set a non-root securityContext.runAsUser on the pod or on container %q", c.Name),
				"a signal needs the agent to run as the app's user, but container %q has no non-root runAsUser", c.Name)
		}
		return *uid, nil
	}
	return 0, annotationErr(ContainersAnnotation, "select at least one app container", "selects no container to signal")
}

// applyVolumes upserts the volumes the plan needs and removes injected
// volumes it does not.
func applyVolumes(vols []corev1.Volume, p *plan, s *Settings) []corev1.Volume {
	want := []corev1.Volume{{Name: VolumeName, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
		Medium: corev1.StorageMediumMemory, SizeLimit: s.VolumeSizeLimit,
	}}}}
	if r := p.template; r != nil {
		want = append(want, configMapVolume(TemplateVolumeName, r.Name))
	}
	if r := p.configMap; r != nil {
		want = append(want, configMapVolume(ConfigVolumeName, r.Name))
	}
	if cs := p.clientSecret; cs.SecretName != "" {
		// Only the one key is projected: the agent sees nothing else of the Secret.
		want = append(want, corev1.Volume{Name: ClientSecretVolumeName, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: cs.SecretName, Items: []corev1.KeyToPath{{Key: cs.SecretKey, Path: cs.SecretKey}}, DefaultMode: ptr(defaultFileMode),
		}}})
	}
	if t := s.TrustBundle; t != nil {
		want = append(want, configMapVolume(TrustVolumeName, t.Name))
	}
	if p.identity.ownVolume {
		want = append(want, tokenVolume(TokenVolumeName, TokenAudience, TokenFileName))
	}
	if p.agent.relay {
		want = append(want, tokenVolume(RelayTokenVolumeName, s.RelayAudience, RelayTokenFileName))
	}
	var stale []string
	for _, name := range ownVolumes {
		if !slices.ContainsFunc(want, func(v corev1.Volume) bool { return v.Name == name }) {
			stale = append(stale, name)
		}
	}
	vols = removeVolumes(vols, stale...)
	for _, v := range want {
		vols = upsertVolume(vols, v)
	}
	return vols
}

func configMapVolume(name, configMap string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: configMap}, DefaultMode: ptr(defaultFileMode),
	}}}
}
