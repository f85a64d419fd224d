package inject

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/allowlist"
	"github.com/fig-injector/fig-injector/injector/config"
)

// allowlist is the chart's allowlists as one list (package allowlist has the
// rules): the default Fig API URI is always allowed, besides AllowedFigURIs.
// Admission checks every URI a pod names against it, and the agent
// containers get it in their environment (allowlistEnv), so the agent checks
// again what can change after admission.
func (s *Settings) allowlist() allowlist.List {
	return allowlist.List{
		FigURIs:          append(config.SplitURIs(s.FigAPIURI), s.AllowedFigURIs...),
		KeyVaultSuffixes: s.AllowedKeyVaultSuffixes,
		AllowHTTP:        s.AllowHTTP,
		AllowIPLiterals:  s.AllowIPLiterals,
	}
}

// clusterRules are the admission's other rules for a ConfigMap config
// whose outputs must stay under mountDir (package config has the rules).
// The agent containers get what they compare against in their environment
// (allowlistEnv), so the agent checks them again when the ConfigMap
// changes after admission.
func (s *Settings) clusterRules(mountDir string) config.ClusterRules {
	return config.ClusterRules{
		AuthorityHost:                     s.AzureAuthorityHost,
		KeepChallengeResourceVerification: !s.AzureDisableChallengeResourceVerification,
		LoopbackNotify:                    true,
		OutputDir:                         mountDir,
		Files:                             &agentFileDirs,
		RelayURL:                          s.RelayURL,
	}
}

// agentFileDirs are the agent's private mounts, in the rules' terms.
var agentFileDirs = config.FileDirs{ClientSecret: ClientSecretMountPath, Config: ConfigMountPath, Template: TemplateMountPath, CA: TrustMountPath, Relay: RelayTokenMountPath}

// allowlistEnv hands the allowlists and the cluster's rules to the agent:
// AllowedFigAPIURIsEnvVar and AllowedKeyVaultSuffixesEnvVar, comma-separated;
// AllowedAzureAuthorityHostEnvVar, AllowDisableChallengeResourceVerificationEnvVar
// and AllowedOutputDirEnvVar, what clusterRules(mountDir) compares against
// (the loopback rule for notifications needs no variable: the agent applies
// it whenever the others are set). They are always set: an empty list is
// written config.AllowlistNone, because admission allows nothing then, while
// an unset variable tells the agent it is not restricted (an agent run by
// hand, or by fig-injector dev). With annotations the agent's config cannot
// change, but the same variables keep every injected agent alike.
func (s *Settings) allowlistEnv(mountDir string) []corev1.EnvVar {
	l, r := s.allowlist(), s.clusterRules(mountDir)
	env := []corev1.EnvVar{
		{Name: AllowedFigAPIURIsEnvVar, Value: joinOrNone(l.FigURIs)},
		{Name: AllowedKeyVaultSuffixesEnvVar, Value: joinOrNone(l.KeyVaultSuffixes)},
		{Name: AllowedAzureAuthorityHostEnvVar, Value: r.AuthorityHost},
		{Name: AllowDisableChallengeResourceVerificationEnvVar, Value: strconv.FormatBool(!r.KeepChallengeResourceVerification)},
		{Name: AllowedOutputDirEnvVar, Value: r.OutputDir},
		{Name: ConfineFilesEnvVar, Value: r.Files.String()},
	}
	if r.RelayURL != "" {
		env = append(env, corev1.EnvVar{Name: AllowedRelayURLEnvVar, Value: r.RelayURL})
	}
	return env
}

func joinOrNone(list []string) string {
	if len(list) == 0 {
		return config.AllowlistNone
	}
	return strings.Join(list, ",")
}
