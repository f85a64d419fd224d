package inject

import (
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"

	"github.com/fig-injector/fig-injector/injector/config"
)

// agentPlan is the agent configuration Mutate settled on.
type agentPlan struct {
	// cfg is the agent config: built from annotations, or the ConfigMap's.
	cfg *config.Config
	// envYAML is cfg rendered for FIG_INJECTOR_CONFIG; "" with a ConfigMap
	// config (the agent reads the mounted file with --config).
	envYAML string
	// mountDir is the shared volume's mount path: the output's directory.
	mountDir string
	// port serves /readyz for the native startup probe; 0 when disabled.
	port int32
	// relay mounts the relay's token: a sidecar mode in a cluster with a relay.
	relay bool
}

// buildAgentConfig turns the request and settings into the agent config and
// checks every URI in it against the allowlists. Errors are
// *AnnotationError naming the annotation the value came from. Sidecar modes
// subscribe to the cluster's relay, if any; an init container runs once.
func buildAgentConfig(r *Request, s *Settings, mode Mode) (*agentPlan, error) {
	if r.ConfigMap != nil {
		return configMapConfig(r, s, mode)
	}
	relay := s.RelayURL != "" && mode != ModeInitOnly
	allowed := s.allowlist()
	uris, annotation := r.FigAPIURIs, FigAPIURIAnnotation
	if len(uris) == 0 {
		uris = config.SplitURIs(s.FigAPIURI)
		if len(uris) == 0 {
			return nil, annotationErr(FigAPIURIAnnotation, "set it, or ask the cluster admin to set the chart's defaults.figApiUri", "is required: the cluster has no default Fig API URI")
		}
	}
	for _, u := range uris {
		if err := allowed.CheckFigURI(u); err != nil {
			return nil, annotationErr(annotation, "use an allowed Fig API URI, or ask the cluster admin to extend allowlists.figUris", "%q %v", u, err)
		}
	}
	outPath := r.OutputPath
	if outPath == "" {
		outPath = DefaultOutputPath
	}
	format := r.Format
	if format == "" {
		format = config.DefaultFormat
	}
	cfg := &config.Config{
		Fig: &config.Fig{
			APIURI:       strings.Join(uris, ","),
			ClientName:   r.ClientName,
			Instance:     r.Instance,
			PollInterval: s.FigPollInterval,
			AppHealthURL: r.AppHealthURL,
			Restart:      r.Restart,
			// Meaningful with the relay only; kept in the config either way.
			AllowOfflineSettings: r.OfflineSettings,
		},
		Outputs: []config.Output{{Path: outPath, Format: format}},
		Notify:  r.Notify,
		Listen:  fmt.Sprintf(":%d", s.Port),
	}
	switch cs := r.ClientSecret; {
	case cs.SecretName != "":
		cfg.Fig.ClientSecret.File = path.Join(ClientSecretMountPath, cs.SecretKey)
	case cs.KeyVault != "":
		if err := allowed.CheckKeyVaultSecretURI(cs.KeyVault); err != nil {
			return nil, annotationErr(ClientSecretAnnotation, "use a secret in an allowed vault, or ask the cluster admin to extend allowlists.keyVaultSuffixes", "%q %v", cs.KeyVault, err)
		}
		cfg.Fig.ClientSecret.KeyVault = cs.KeyVault
	}
	if kv := r.KeyVault; kv != nil {
		if err := allowed.CheckKeyVaultURL(kv.URL); err != nil {
			return nil, annotationErr(KeyVaultAnnotation, "use an allowed vault URL such as https://orders-kv.vault.azure.net/, or ask the cluster admin to extend allowlists.keyVaultSuffixes", "%q %v", kv.URL, err)
		}
		v := *kv
		v.PollInterval = s.KeyVaultPollInterval
		cfg.KeyVaults = []config.KeyVault{v}
	}
	if r.Template != nil {
		cfg.Outputs[0].Template = path.Join(TemplateMountPath, r.Template.Key)
	}
	applyClusterAgentSettings(cfg, s)
	if relay {
		cfg.Relay = &config.Relay{URL: s.RelayURL, TokenFile: path.Join(RelayTokenMountPath, RelayTokenFileName)}
	}
	yml, err := config.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("render agent config: %w", err)
	}
	if err := validateRendered(yml, s.agentEnvMap(path.Dir(outPath), nil)); err != nil {
		return nil, annotationErr("fig-injector.io annotations", "correct the annotations (charts/fig-injector/README.md)", "the agent config they describe is invalid: %v", err)
	}
	return &agentPlan{cfg: cfg, envYAML: string(yml), mountDir: path.Dir(outPath), port: s.Port, relay: relay}, nil
}

// applyClusterAgentSettings copies what the cluster, not the pod, decides.
func applyClusterAgentSettings(cfg *config.Config, s *Settings) {
	cfg.Azure.DisableInstanceDiscovery = s.AzureDisableInstanceDiscovery
	cfg.Azure.DisableChallengeResourceVerification = s.AzureDisableChallengeResourceVerification
	cfg.Azure.KeyVaultDNSSuffix = s.KeyVaultDNSSuffix
	if t := s.TrustBundle; t != nil {
		cfg.TLS.CAFile = path.Join(TrustMountPath, t.Key)
	}
}

// configMapConfig checks a whole config from a ConfigMap: every URI against
// the allowlists, and the cluster's other rules (Settings.clusterRules: the
// outputs inside one directory, the shared volume; notifications on the
// loopback; nothing that would let the pod's token leave for another
// authority). The agent gets what they compare against in its environment
// and checks them again when the ConfigMap changes. A relay section (the
// cluster's relay only, its token under RelayTokenMountPath: clusterRules)
// subscribes a sidecar: the webhook mounts the relay's token, and the relay
// authorizes the subscription against this same ConfigMap config. An
// init-only agent runs once, so it may not carry one.
func configMapConfig(r *Request, s *Settings, mode Mode) (*agentPlan, error) {
	cfg := r.Config
	if cfg == nil {
		return nil, fmt.Errorf("mutate: %s is set but its config was not loaded", ConfigConfigMapAnnotation)
	}
	allowed := s.allowlist()
	fail := func(fix, format string, args ...any) (*agentPlan, error) {
		where := fmt.Sprintf("ConfigMap %s key %s: ", r.ConfigMap.Name, r.ConfigMap.Key)
		return nil, annotationErr(ConfigConfigMapAnnotation, fix, where+format, args...)
	}
	if f := cfg.Fig; f != nil {
		for _, u := range config.SplitURIs(f.APIURI) {
			if err := allowed.CheckFigURI(u); err != nil {
				return fail("use an allowed Fig API URI, leave fig.apiUri out for the cluster default, or ask the cluster admin to extend allowlists.figUris", "fig.apiUri %q %v", u, err)
			}
		}
		if file := f.ClientSecret.File; strings.HasPrefix(file, ClientSecretMountPath+"/") && r.ClientSecret.SecretName == "" {
			return fail("add "+ClientSecretAnnotation+": <secret>/<key>, which mounts the Secret's key at "+ClientSecretMountPath+"/<key>", "fig.clientSecret.file %q is under %s, but the pod names no client Secret", file, ClientSecretMountPath)
		}
		if kv := f.ClientSecret.KeyVault; kv != "" {
			if err := allowed.CheckKeyVaultSecretURI(kv); err != nil {
				return fail("use a secret in an allowed vault", "fig.clientSecret.keyVault %q %v", kv, err)
			}
		}
	}
	for i, kv := range cfg.KeyVaults {
		if err := allowed.CheckKeyVaultURL(kv.URL); err != nil {
			return fail("use an allowed vault, or ask the cluster admin to extend allowlists.keyVaultSuffixes", "keyVaults[%d].url %q %v", i, kv.URL, err)
		}
	}
	if len(cfg.Outputs) == 0 {
		return fail("add outputs, e.g. [{path: /fig/appsettings.json}]", "has no outputs")
	}
	mountDir := path.Dir(cfg.Outputs[0].Path)
	if errs := s.clusterRules(mountDir).Check(cfg); len(errs) > 0 {
		return fail(errs[0].Fix, "%s %s", errs[0].Path, errs[0].Problem)
	}
	if cfg.Relay != nil && mode == ModeInitOnly {
		return fail("remove relay, or use mode native or classic (a sidecar stays subscribed)",
			"relay needs a sidecar: an init-only agent runs once and subscribes to nothing")
	}
	var port int32
	if cfg.Listen != "" {
		_, p, err := net.SplitHostPort(cfg.Listen)
		n, perr := strconv.ParseInt(p, 10, 32)
		if err != nil || perr != nil || n < 1 || n > 65535 {
			return fail(`use listen: ":9102"`, "listen %q has no port", cfg.Listen)
		}
		port = int32(n)
	}
	yml, err := config.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("render agent config: %w", err)
	}
	if err := validateRendered(yml, s.agentEnvMap(mountDir, map[string]string{FigAPIURIEnvVar: s.FigAPIURI})); err != nil {
		return fail("correct the config", "%v", err)
	}
	return &agentPlan{cfg: cfg, mountDir: mountDir, port: port, relay: cfg.Relay != nil}, nil
}

// validateRendered parses the rendered config strictly and runs the agent's
// own completion on it (env, defaults, validation), exactly as the agent
// will, so a config the agent would reject is denied now instead of
// crash-looping later. The env holds what the agent containers get
// (agentEnvMap), the allowlists and cluster rules included, so the agent's
// own checks of them pass too. AZURE_* env is left out: the Azure webhook
// may add it after us.
func validateRendered(yml []byte, env map[string]string) error {
	c, err := config.Parse(yml)
	if err != nil {
		return err
	}
	return c.Complete(func(k string) string { return env[k] })
}

// agentEnvMap is extra plus the allowlist variables the agent containers get
// for outputs under mountDir, for validateRendered.
func (s *Settings) agentEnvMap(mountDir string, extra map[string]string) map[string]string {
	env := map[string]string{}
	for k, v := range extra {
		env[k] = v
	}
	for _, e := range s.allowlistEnv(mountDir) {
		env[e.Name] = e.Value
	}
	return env
}
