package inject

import (
	"fmt"
	"path"

	corev1 "k8s.io/api/core/v1"
)

// Every field the API server would default is set explicitly, so that a
// re-invoked webhook rebuilds exactly what is stored and its patch is empty.
const (
	terminationMessagePath = "/dev/termination-log"
	defaultFileMode        = int32(0o644) // the API server's default for configMap, secret and projected volumes
	// startupPeriod and startupFailures bound the native sidecar's first
	// render at 5 minutes, beyond the agent's own init timeout (2m default),
	// so the agent, not the probe, ends a failing start: it exits with its
	// one-line reason as the termination message. A 1s period keeps the
	// app's start prompt; each period costs one exec of the agent binary,
	// during start-up only.
	startupPeriod   = int32(1)
	startupFailures = int32(300)
	// startupTimeout leaves the exec (runc) and the loopback GET time on a
	// busy node; the probe itself gives up after 2s.
	startupTimeout = int32(3)
)

// agentContainers returns the injected containers for the mode: those that
// go to initContainers (in order, at the front) and those appended to
// containers.
func agentContainers(p *plan, s *Settings) (inits, sidecars []corev1.Container) {
	stateDir := "--state-dir=" + path.Join(p.agent.mountDir, StateDirName)
	switch p.mode {
	case ModeNative:
		c := baseContainer(AgentContainerName, p, s, "--mode=sidecar")
		c.RestartPolicy = ptr(corev1.ContainerRestartPolicyAlways)
		if p.agent.port != 0 {
			addPort(&c, p.agent.port)
			c.StartupProbe = startupProbe(s, p.agent.port)
		}
		return []corev1.Container{c}, nil
	case ModeClassic:
		side := baseContainer(AgentContainerName, p, s, "--mode=sidecar", stateDir)
		if p.agent.port != 0 {
			addPort(&side, p.agent.port)
		}
		return []corev1.Container{baseContainer(InitContainerName, p, s, "--mode=init", stateDir)}, []corev1.Container{side}
	default: // ModeInitOnly
		return []corev1.Container{baseContainer(InitContainerName, p, s, "--mode=init")}, nil
	}
}

func baseContainer(name string, p *plan, s *Settings, flags ...string) corev1.Container {
	args := append([]string{"agent"}, flags...)
	if r := p.configMap; r != nil {
		args = append(args, "--config="+path.Join(ConfigMountPath, r.Key))
	}
	c := corev1.Container{
		Name:                     name,
		Image:                    s.Image,
		ImagePullPolicy:          s.ImagePullPolicy,
		Command:                  append([]string(nil), s.Command...),
		Args:                     args,
		Env:                      agentEnv(p, s),
		Resources:                *s.Resources.DeepCopy(),
		VolumeMounts:             agentMounts(p, s),
		TerminationMessagePath:   terminationMessagePath,
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		SecurityContext:          agentSecurityContext(p.runAsUser, s),
	}
	return c
}

// startupProbe runs the agent binary's probe command (the image has no
// shell) against the agent's /readyz. An exec probe, not httpGet: the
// kubelet copies an exec probe's output into the pod's "Startup probe
// failed" event, so `kubectl describe pod` says which source, which secret
// and which identity hold the app back, where an HTTP probe's event says
// only "statuscode: 503".
func startupProbe(s *Settings, port int32) *corev1.Probe {
	command := append(append([]string(nil), s.Command...), "probe", fmt.Sprintf("--port=%d", port))
	return &corev1.Probe{
		ProbeHandler:   corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: command}},
		TimeoutSeconds: startupTimeout, PeriodSeconds: startupPeriod, SuccessThreshold: 1, FailureThreshold: startupFailures,
	}
}

func addPort(c *corev1.Container, port int32) {
	c.Ports = []corev1.ContainerPort{{Name: AgentPortName, ContainerPort: port, Protocol: corev1.ProtocolTCP}}
}

// agentEnv is the config (or the default Fig URI), the allowlists and the
// cluster's rules, then the identity.
func agentEnv(p *plan, s *Settings) []corev1.EnvVar {
	var env []corev1.EnvVar
	if p.agent.envYAML != "" {
		env = append(env, corev1.EnvVar{Name: ConfigEnvVar, Value: p.agent.envYAML})
	} else if s.FigAPIURI != "" {
		env = append(env, corev1.EnvVar{Name: FigAPIURIEnvVar, Value: s.FigAPIURI})
	}
	if p.appVersion != "" {
		env = append(env, corev1.EnvVar{Name: AppVersionEnvVar, Value: p.appVersion})
	}
	env = append(env, s.allowlistEnv(p.agent.mountDir)...)
	for _, e := range p.identity.env {
		env = append(env, *e.DeepCopy())
	}
	return env
}

// agentMounts: the shared volume read-write, what only the agent may read
// read-only, and the identity's token last (where the Azure webhook appends it).
func agentMounts(p *plan, s *Settings) []corev1.VolumeMount {
	m := []corev1.VolumeMount{{Name: VolumeName, MountPath: p.agent.mountDir}}
	if p.template != nil {
		m = append(m, corev1.VolumeMount{Name: TemplateVolumeName, MountPath: TemplateMountPath, ReadOnly: true})
	}
	if p.configMap != nil {
		m = append(m, corev1.VolumeMount{Name: ConfigVolumeName, MountPath: ConfigMountPath, ReadOnly: true})
	}
	if p.clientSecret.SecretName != "" {
		m = append(m, corev1.VolumeMount{Name: ClientSecretVolumeName, MountPath: ClientSecretMountPath, ReadOnly: true})
	}
	if s.TrustBundle != nil {
		m = append(m, corev1.VolumeMount{Name: TrustVolumeName, MountPath: TrustMountPath, ReadOnly: true})
	}
	if p.agent.relay {
		m = append(m, corev1.VolumeMount{Name: RelayTokenVolumeName, MountPath: RelayTokenMountPath, ReadOnly: true})
	}
	if p.identity.mount != nil {
		m = append(m, *p.identity.mount.DeepCopy())
	}
	return m
}

// agentSecurityContext passes the restricted Pod Security Standard. The
// UID and GID are left to the platform when it assigns them.
func agentSecurityContext(uid int64, s *Settings) *corev1.SecurityContext {
	var user, group *int64
	if !s.PlatformAssignsUser {
		user, group = ptr(uid), ptr(s.RunAsUser)
	}
	return &corev1.SecurityContext{
		RunAsUser:                user,
		RunAsGroup:               group,
		RunAsNonRoot:             ptr(true),
		ReadOnlyRootFilesystem:   ptr(true),
		AllowPrivilegeEscalation: ptr(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func isAgentContainer(name string) bool {
	return name == AgentContainerName || name == InitContainerName
}

func ptr[T any](v T) *T { return &v }
