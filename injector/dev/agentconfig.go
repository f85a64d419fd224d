package dev

import (
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/config"
)

// Poll intervals written into agent.yaml: short, so that a seed edit shows
// in the output file within seconds of saving it.
const (
	DemoFigPollInterval      = 2 * time.Second
	DemoKeyVaultPollInterval = 5 * time.Second
)

// DefaultAgentListen is the agent's /healthz, /readyz and /metrics address
// written into agent.yaml.
const DefaultAgentListen = "127.0.0.1:9102"

// agentConfig is a complete agent configuration that reaches the emulators:
// the plan's first Fig client (its secret in the fig-secret file), every
// vault by name (so @Microsoft.KeyVault(VaultName=…) references resolve to
// the emulator, not to *.vault.azure.net), the first identity's token file,
// and trust in the dev CA only where the agent needs it.
//
// Each vault gets the prefix "<first client>--": the agent loads the
// secrets named so, and the vault entry exists also for vaults that hold
// only referenced secrets (the agent refuses a vault that reads nothing).
// Without a Fig client there is no prefix to use, and every secret of the
// seed is mapped explicitly, its key being the name with "--" as ":".
func (e *Env) agentConfig(p *plan) *config.Config {
	cfg := &config.Config{
		Outputs: []config.Output{{Path: e.OutputPath}},
		TLS:     config.TLS{CAFile: e.CAFile},
		Listen:  e.agentListen,
		Relay:   e.agentRelay,
	}
	prefix := ""
	if c := p.firstClient(); c != nil {
		cfg.Fig = &config.Fig{
			APIURI:       e.FigURL,
			ClientName:   c.Name,
			Instance:     c.Instance,
			ClientSecret: config.ClientSecret{File: e.FigSecretFile},
			PollInterval: config.Dur(e.figPoll),
		}
		prefix = c.Name + "--"
	}
	for _, v := range p.vaults {
		kv := config.KeyVault{URL: e.vaultURL(v.name), Name: v.name, Prefix: prefix, PollInterval: config.Dur(DemoKeyVaultPollInterval)}
		if prefix == "" {
			for _, s := range v.secrets {
				kv.Secrets = append(kv.Secrets, config.SecretMapping{Name: s.name, Key: strings.ReplaceAll(s.name, "--", ":")})
			}
		}
		cfg.KeyVaults = append(cfg.KeyVaults, kv)
	}
	if id := p.firstIdentity(); id != nil {
		cfg.Azure = config.Azure{
			ClientID:                             id.ClientID,
			TenantID:                             p.tenant,
			TokenFile:                            e.TokenFile,
			AuthorityHost:                        e.EntraURL,
			DisableInstanceDiscovery:             true,
			DisableChallengeResourceVerification: true,
		}
	}
	return cfg
}

// vaultURL is the URL of a vault by name, compared as Key Vault compares
// names (an edit may change a vault name's case).
func (e *Env) vaultURL(name string) string {
	for n, u := range e.VaultURLs {
		if strings.EqualFold(n, name) {
			return u
		}
	}
	return ""
}
