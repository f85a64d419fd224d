package inject

import (
	"net/url"
	"slices"
	"strings"
	"unicode"

	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/rules"
)

// Annotations that describe the application to Fig and how to restart it
// (SPEC §3 naming). ParseRequest reads them with the others.
const (
	// AppVersionAnnotation is the application version reported to Fig.
	// Default: the tag of the first app container's image.
	AppVersionAnnotation = "fig-injector.io/app-version"
	// AppHealthURLAnnotation is the app's health endpoint on the pod's
	// loopback, "http://127.0.0.1:PORT/path", reported to Fig as a health
	// component (fig.appHealthUrl).
	AppHealthURLAnnotation = "fig-injector.io/app-health-url"
	// RestartAnnotation is what the agent does when Fig requests a restart:
	// "signal:SIGTERM:<process>" (sets shareProcessNamespace; the kubelet
	// restarts the container) or "http://127.0.0.1:PORT/path" (an endpoint
	// the app implements). Without it the agent tells Fig it cannot restart.
	RestartAnnotation = "fig-injector.io/restart"
	// OfflineSettingsAnnotation "false" keeps the pod's Fig settings out of
	// the relay's offline copies (fig.allowOfflineSettings, Fig.Client's
	// AllowOfflineSettings); "true", the default, allows them.
	OfflineSettingsAnnotation = "fig-injector.io/offline-settings"
)

// AppVersionEnvVar hands the agent the application's version (the
// annotation, else the app container's image tag); fig.applicationVersion
// in a ConfigMap config wins over it.
const AppVersionEnvVar = config.AppVersionEnv

// app reads the application annotations. The restart and health annotations
// describe the agent config; the version does not (it reaches the agent in
// its environment), so it also works with a ConfigMap config.
func (p *parser) app(r *Request, withConfigMap bool) {
	if v, ok := p.get(AppVersionAnnotation); ok {
		switch {
		case v == "" || len(v) > 128:
			p.fail(AppVersionAnnotation, "set the application's version, e.g. 1.4.2, or remove it to report the image tag", "must be 1-128 characters")
		case strings.ContainsFunc(v, unicode.IsControl):
			p.fail(AppVersionAnnotation, "put the version on one line, e.g. 1.4.2", "contains a control character")
		}
		r.AppVersion = v
	}
	if withConfigMap {
		return
	}
	if v, ok := p.get(AppHealthURLAnnotation); ok {
		if !loopbackURL(v) {
			p.fail(AppHealthURLAnnotation, "use the app's health endpoint on the pod's loopback, e.g. http://127.0.0.1:8080/health",
				"%q is not an http URL on the pod's loopback with a port", v)
		}
		r.AppHealthURL = v
	}
	if v, ok := p.get(RestartAnnotation); ok {
		r.Restart = p.restart(v)
	}
	if v, ok := p.get(OfflineSettingsAnnotation); ok {
		if v != "true" && v != "false" {
			p.fail(OfflineSettingsAnnotation, `use "false" to keep this pod's Fig settings out of the relay's offline copies, or remove it`, "%q is not true or false", v)
		}
		allow := v == "true"
		r.OfflineSettings = &allow
	}
}

func (p *parser) restart(v string) *config.Restart {
	const fix = "use signal:SIGTERM:<process> (e.g. signal:SIGTERM:dotnet; the kubelet restarts the container) or http://127.0.0.1:<port>/<path> (an endpoint the app implements)"
	if rest, isSignal := strings.CutPrefix(v, "signal:"); isSignal {
		return &config.Restart{Signal: p.signal(RestartAnnotation, rest, rules.RestartSignals, fix, "is not a signal that ends the app")}
	}
	if !loopbackURL(v) {
		p.fail(RestartAnnotation, fix, "%q is neither a signal nor an http URL on the pod's loopback with a port", v)
	}
	return &config.Restart{HTTP: &config.HTTPNotify{URL: v}}
}

// loopbackURL: an http URL on the pod's loopback with a port and no user.
func loopbackURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && config.CheckNotifyURL(v) == nil && u.User == nil && u.Port() != ""
}

// checkRestart refuses, at admission, a restart the pod cannot carry out: in
// mode init-only no agent runs; a signal ends the app's process only if the
// agent sees it (shareProcessNamespace, which the pod must not have turned
// off) and the kubelet starts it again only under restartPolicy Always.
func checkRestart(pod *corev1.Pod, cfg *config.Config, mode Mode) error {
	r := restartOf(cfg)
	if r == nil {
		return nil
	}
	if mode == ModeInitOnly {
		return annotationErr(restartSource(pod), "remove the restart action, or use mode native or classic so an agent keeps running",
			"a restart needs a running agent, but mode init-only renders once and exits")
	}
	if r.Signal == nil {
		return nil
	}
	if sp := pod.Spec.ShareProcessNamespace; sp != nil && !*sp {
		return annotationErr(restartSource(pod), "remove shareProcessNamespace: false from the pod, or restart through http://127.0.0.1:<port>/<path>",
			"a restart signal needs shareProcessNamespace, which the pod turns off")
	}
	if rp := pod.Spec.RestartPolicy; rp != "" && rp != corev1.RestartPolicyAlways {
		return annotationErr(restartSource(pod), "use restartPolicy Always (a Deployment's), or restart through an http endpoint the app implements",
			"a restart signal ends the app, and with restartPolicy %s the kubelet does not start it again", rp)
	}
	return nil
}

// restartSource names where the pod's restart action came from.
func restartSource(pod *corev1.Pod) string {
	if _, ok := pod.Annotations[ConfigConfigMapAnnotation]; ok {
		return ConfigConfigMapAnnotation
	}
	return RestartAnnotation
}

// appVersion is the version the agent reports: the annotation, else the tag
// of the first app container's image (its digest when it has no tag;
// "latest" when it has neither, as the runtime pulls it).
func appVersion(pod *corev1.Pod, r *Request, apps []string) string {
	if r.AppVersion != "" {
		return r.AppVersion
	}
	for _, c := range pod.Spec.Containers {
		if slices.Contains(apps, c.Name) {
			return imageVersion(c.Image)
		}
	}
	return ""
}

// imageVersion is an image reference's tag, else its digest, else "latest".
func imageVersion(image string) string {
	name, digest, hasDigest := strings.Cut(image, "@")
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		return name[i+1:]
	}
	if hasDigest {
		return digest
	}
	if image == "" {
		return ""
	}
	return "latest"
}

// restartOf is the agent config's restart action, nil when none.
func restartOf(cfg *config.Config) *config.Restart {
	if cfg.Fig == nil {
		return nil
	}
	return cfg.Fig.Restart
}
