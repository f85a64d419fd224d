package inject

import (
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

// allowlistEnv hands the allowlists to the agent: AllowedFigAPIURIsEnvVar
// and AllowedKeyVaultSuffixesEnvVar, comma-separated. They are always set:
// an empty list is written config.AllowlistNone, because admission allows
// nothing then, while an unset variable tells the agent it is not
// restricted (an agent run by hand, or by fig-injector dev).
func (s *Settings) allowlistEnv() []corev1.EnvVar {
	l := s.allowlist()
	return []corev1.EnvVar{
		{Name: AllowedFigAPIURIsEnvVar, Value: joinOrNone(l.FigURIs)},
		{Name: AllowedKeyVaultSuffixesEnvVar, Value: joinOrNone(l.KeyVaultSuffixes)},
	}
}

func joinOrNone(list []string) string {
	if len(list) == 0 {
		return config.AllowlistNone
	}
	return strings.Join(list, ",")
}
