package inject

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/rules"
)

// knownAnnotations lists every fig-injector.io/ annotation ParseRequest reads.
var knownAnnotations = []string{
	ClientNameAnnotation, InstanceAnnotation, FigAPIURIAnnotation, ClientSecretAnnotation,
	KeyVaultAnnotation, KeyVaultPrefixAnnotation, SecretsAnnotation, FormatAnnotation,
	OutputPathAnnotation, TemplateConfigMapAnnotation, ConfigConfigMapAnnotation,
	ModeAnnotation, NotifyAnnotation, ContainersAnnotation,
	AppVersionAnnotation, AppHealthURLAnnotation, RestartAnnotation, OfflineSettingsAnnotation,
}

// configAnnotations describe the agent config, so they cannot be combined
// with a whole config from ConfigConfigMapAnnotation.
var configAnnotations = []string{
	ClientNameAnnotation, InstanceAnnotation, FigAPIURIAnnotation, KeyVaultAnnotation,
	KeyVaultPrefixAnnotation, SecretsAnnotation, FormatAnnotation, OutputPathAnnotation,
	TemplateConfigMapAnnotation, NotifyAnnotation, AppHealthURLAnnotation, RestartAnnotation, OfflineSettingsAnnotation,
}

// parser collects every problem instead of stopping at the first, so a user
// fixes a pod in one pass.
type parser struct {
	a    map[string]string
	errs []error
}

func (p *parser) fail(annotation, fix, format string, args ...any) {
	p.errs = append(p.errs, annotationErr(annotation, fix, format, args...))
}

// get returns the trimmed value and whether the annotation is present.
func (p *parser) get(name string) (string, bool) {
	v, ok := p.a[name]
	return strings.TrimSpace(v), ok
}

// ParseRequest reads every fig-injector.io/* annotation of the pod once into
// a typed Request. The error joins one *AnnotationError per problem; each
// names the annotation and the fix, and becomes the admission denial.
func ParseRequest(pod *corev1.Pod) (Request, error) {
	p := &parser{a: pod.Annotations}
	var r Request
	p.unknown()
	if v, ok := p.get(ConfigConfigMapAnnotation); ok {
		r.ConfigMap = p.configMapRef(ConfigConfigMapAnnotation, v, DefaultConfigKey)
		for _, name := range configAnnotations {
			if _, ok := p.a[name]; ok {
				p.fail(name, "move it into the agent config in the ConfigMap, or drop "+ConfigConfigMapAnnotation,
					"cannot be combined with %s", ConfigConfigMapAnnotation)
			}
		}
	} else {
		p.fig(&r)
		r.KeyVault = p.keyVault()
		r.Format, r.OutputPath, r.Template = p.output()
		r.Notify = p.notify()
	}
	p.app(&r, r.ConfigMap != nil)
	r.ClientSecret = p.clientSecret(r.ConfigMap != nil)
	r.Mode = p.mode()
	if r.Mode == ModeInitOnly && (r.Notify.Signal != nil || r.Notify.HTTP != nil) {
		p.fail(NotifyAnnotation, "remove it, or use mode native or classic so an agent keeps running",
			"has nothing to notify in mode init-only (the file is rendered once, before the app starts)")
	}
	r.Containers = p.containers(pod)
	r.AzureClientID = strings.TrimSpace(pod.Annotations[AzureClientIDAnnotation])
	r.AzureTenantID = strings.TrimSpace(pod.Annotations[AzureTenantIDAnnotation])
	if len(p.errs) > 0 {
		return Request{}, errors.Join(p.errs...)
	}
	return r, nil
}

func (p *parser) unknown() {
	var unknown []string
	for name := range p.a {
		if strings.HasPrefix(name, AnnotationPrefix) && !slices.Contains(knownAnnotations, name) {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		p.fail(name, "check the spelling; known annotations: "+strings.Join(knownAnnotations, ", "), "is not a fig-injector annotation")
	}
}

func (p *parser) fig(r *Request) {
	name, _ := p.get(ClientNameAnnotation)
	switch err := rules.ClientName(name); {
	case errors.Is(err, rules.ErrNoClientName):
		p.fail(ClientNameAnnotation, "set it to the client name registered in Fig, or give a whole config with "+ConfigConfigMapAnnotation, "%v", err)
	case err != nil:
		p.fail(ClientNameAnnotation, "use the client name registered in Fig", "%v", err)
	}
	r.ClientName = name
	if v, ok := p.get(InstanceAnnotation); ok {
		if v == "" || rules.FigNameLength(v) > rules.MaxFigName {
			p.fail(InstanceAnnotation, "set the Fig instance name, or remove the annotation", "must be 1-%d characters", rules.MaxFigName)
		}
		r.Instance = v
	}
	if v, ok := p.get(FigAPIURIAnnotation); ok {
		r.FigAPIURIs = config.SplitURIs(v)
		if len(r.FigAPIURIs) == 0 {
			p.fail(FigAPIURIAnnotation, "remove it to use the cluster default, or set e.g. https://fig-api.fig.svc:8080", "is empty")
		}
	}
}

func (p *parser) clientSecret(withConfigMap bool) ClientSecretRef {
	v, ok := p.get(ClientSecretAnnotation)
	const fix = "use <secret>/<key> of a Kubernetes Secret in the pod's namespace, or a Key Vault secret URI https://<vault>.vault.azure.net/secrets/<name>"
	switch {
	case !ok && withConfigMap:
		return ClientSecretRef{}
	case !ok || v == "":
		p.fail(ClientSecretAnnotation, fix, "is required with %s", ClientNameAnnotation)
		return ClientSecretRef{}
	case strings.Contains(v, "://"):
		if withConfigMap {
			p.fail(ClientSecretAnnotation, "set fig.clientSecret.keyVault in the ConfigMap's config instead",
				"a Key Vault URI cannot be combined with %s", ConfigConfigMapAnnotation)
		}
		return ClientSecretRef{KeyVault: v}
	}
	name, key, found := strings.Cut(v, "/")
	if !found || len(validation.IsDNS1123Subdomain(name)) > 0 || len(validation.IsConfigMapKey(key)) > 0 {
		p.fail(ClientSecretAnnotation, fix, "%q is neither <secret>/<key> nor a Key Vault secret URI", v)
		return ClientSecretRef{}
	}
	return ClientSecretRef{SecretName: name, SecretKey: key}
}

func (p *parser) keyVault() *config.KeyVault {
	vault, hasVault := p.get(KeyVaultAnnotation)
	prefix, hasPrefix := p.get(KeyVaultPrefixAnnotation)
	lines, hasSecrets := p.get(SecretsAnnotation)
	if !hasVault {
		for _, a := range []struct {
			name    string
			present bool
		}{{KeyVaultPrefixAnnotation, hasPrefix}, {SecretsAnnotation, hasSecrets}} {
			if a.present {
				p.fail(a.name, "add "+KeyVaultAnnotation+" with the vault URL, e.g. https://orders-kv.vault.azure.net/", "needs %s", KeyVaultAnnotation)
			}
		}
		return nil
	}
	kv := &config.KeyVault{URL: vault}
	if hasPrefix {
		if !rules.SecretNamePrefix(prefix) {
			p.fail(KeyVaultPrefixAnnotation, "use the start of your secret names: "+rules.SecretPrefixRule+", e.g. OrderService--", "%q is not a Key Vault secret name prefix", prefix)
		}
		kv.Prefix = prefix
	}
	if hasSecrets {
		kv.Secrets = p.secrets(lines)
	}
	if kv.Prefix == "" && len(kv.Secrets) == 0 {
		p.fail(KeyVaultAnnotation, "add "+KeyVaultPrefixAnnotation+" or "+SecretsAnnotation, "reads nothing from the vault")
	}
	return kv
}

// secrets parses lines "Config:Key=secret-name[/version]"; blank lines and
// lines starting with # are ignored.
func (p *parser) secrets(text string) []config.SecretMapping {
	const fix = "write one Config:Key=secret-name[/version] per line"
	var out []config.SecretMapping
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, ref, ok := strings.Cut(line, "=")
		key, ref = strings.TrimSpace(key), strings.TrimSpace(ref)
		name, version, _ := strings.Cut(ref, "/")
		switch {
		case !ok || key == "" || strings.ContainsAny(key, " \t"):
			p.fail(SecretsAnnotation, fix, "line %d %q has no Config:Key=", i+1, line)
			continue
		case !rules.SecretName(name):
			p.fail(SecretsAnnotation, fix+" (secret names are "+rules.SecretNameRule+")", "line %d: %q is not a Key Vault secret name", i+1, name)
			continue
		case strings.Contains(ref, "/") && !rules.SecretVersion(version):
			p.fail(SecretsAnnotation, fix+" (a version is the 32-character id Key Vault shows)", "line %d: %q is not a secret version", i+1, version)
			continue
		case seen[strings.ToUpper(key)]:
			p.fail(SecretsAnnotation, "map each key once (keys are case-insensitive, as in .NET configuration)", "line %d: key %q is mapped twice", i+1, key)
			continue
		}
		seen[strings.ToUpper(key)] = true
		out = append(out, config.SecretMapping{Name: name, Key: key, Version: version})
	}
	if len(out) == 0 {
		p.fail(SecretsAnnotation, fix, "maps no secrets")
	}
	return out
}

func (p *parser) output() (format, outPath string, tmpl *ConfigMapRef) {
	format, hasFormat := p.get(FormatAnnotation)
	if hasFormat && !rules.Format(format) {
		p.fail(FormatAnnotation, "use one of "+rules.FormatsText(), "%q is not a format", format)
	}
	if v, ok := p.get(TemplateConfigMapAnnotation); ok {
		tmpl = p.configMapRef(TemplateConfigMapAnnotation, v, DefaultTemplateKey)
		if hasFormat && format != "template" {
			p.fail(FormatAnnotation, "remove it or set it to template", "is %q, but %s needs format template", format, TemplateConfigMapAnnotation)
		}
		format = "template"
	} else if format == "template" {
		p.fail(FormatAnnotation, "add "+TemplateConfigMapAnnotation+": <configmap>[/<key>]", "format template needs %s", TemplateConfigMapAnnotation)
	}
	if v, ok := p.get(OutputPathAnnotation); ok {
		if err := config.CheckOutputPath(v); err != nil {
			p.fail(OutputPathAnnotation, "use a file in a directory of its own, e.g. /fig/appsettings.json", "%q %v", v, err)
		}
		outPath = v
	}
	return format, outPath, tmpl
}

func (p *parser) configMapRef(annotation, v, defaultKey string) *ConfigMapRef {
	name, key, found := strings.Cut(v, "/")
	if !found {
		key = defaultKey
	}
	if len(validation.IsDNS1123Subdomain(name)) > 0 || len(validation.IsConfigMapKey(key)) > 0 {
		p.fail(annotation, fmt.Sprintf("use <configmap>[/<key>] of a ConfigMap in the pod's namespace (key default %s)", defaultKey), "%q does not name a ConfigMap key", v)
	}
	return &ConfigMapRef{Name: name, Key: key}
}

func (p *parser) mode() Mode {
	v, ok := p.get(ModeAnnotation)
	if !ok {
		return ""
	}
	if !slices.Contains(modes, Mode(v)) {
		p.fail(ModeAnnotation, "use native, classic or init-only", "%q is not a mode", v)
	}
	return Mode(v)
}

func (p *parser) notify() config.Notify {
	v, ok := p.get(NotifyAnnotation)
	if !ok {
		return config.Notify{}
	}
	const fix = "use signal:SIGHUP:<process> (e.g. signal:SIGHUP:dotnet) or http://127.0.0.1:<port>/<path>"
	if rest, isSignal := strings.CutPrefix(v, "signal:"); isSignal {
		return config.Notify{Signal: p.signal(NotifyAnnotation, rest, rules.ReloadSignals, fix, "is not a signal")}
	}
	if !loopbackURL(v) {
		p.fail(NotifyAnnotation, fix, "%q is neither a signal nor an http URL on the pod's loopback with a port", v)
	}
	return config.Notify{HTTP: &config.HTTPNotify{URL: v}}
}

// signal reads "<SIGNAL>:<process>" (after "signal:"), one of allowed.
func (p *parser) signal(annotation, rest string, allowed []string, fix, notAllowed string) *config.SignalNotify {
	sig, process, _ := strings.Cut(rest, ":")
	switch {
	case !slices.Contains(allowed, sig):
		p.fail(annotation, fix+"; signals: "+strings.Join(allowed, ", "), "%q "+notAllowed, sig)
	case process == "" || strings.ContainsAny(process, "/ \t"):
		p.fail(annotation, fix, "names no process to signal (the agent signals processes by name)")
	}
	return &config.SignalNotify{Name: sig, Process: process}
}

func (p *parser) containers(pod *corev1.Pod) []string {
	v, ok := p.get(ContainersAnnotation)
	if !ok {
		return nil
	}
	names := map[string]bool{}
	for _, c := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
		if !isAgentContainer(c.Name) {
			names[c.Name] = true
		}
	}
	var out []string
	for _, n := range strings.Split(v, ",") {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
			continue
		case !names[n]:
			known := make([]string, 0, len(names))
			for k := range names {
				known = append(known, k)
			}
			sort.Strings(known)
			p.fail(ContainersAnnotation, "list container names of this pod, comma-separated: "+strings.Join(known, ", "), "the pod has no app container %q", n)
		case slices.Contains(out, n):
			p.fail(ContainersAnnotation, "list each container once", "names %q twice", n)
		default:
			out = append(out, n)
		}
	}
	if len(out) == 0 && len(p.errs) == 0 {
		p.fail(ContainersAnnotation, "remove it to mount into every app container, or list container names", "lists no containers")
	}
	return out
}
