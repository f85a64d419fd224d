package agent

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fig-injector/fig-injector/injector/config"
)

// The webhook's allowlists and cluster rules (config.Allowlist) reach the
// agent in two places: config.Complete checks the configuration at load and
// on every reload, the URIs and the rules for azure.authorityHost,
// azure.disableChallengeResourceVerification, notify.http.url and the
// outputs (an invalid reload keeps the running configuration, see
// fileChanged), and
// vaultSet.permit checks every vault before anything is sent to it, which
// covers the Key Vault references in Fig values. A refused reference leaves
// its key unresolved: the render that needs it fails with errRefused and the
// last good file stays, as for any unresolved reference.

// errRefused marks a render held back because a Fig value references a vault
// outside the cluster's allowlist. Unlike errUnresolved it does not pass by
// waiting: the setting must change in Fig (or the allowlist in the chart).
var errRefused = errors.New("refused Key Vault references (vaults outside the cluster's allowlist)")

// refFix is the fix of a refused reference.
const refFix = "point the setting in Fig at a secret in an allowed vault, or ask the cluster admin to add the vault's DNS suffix to the chart's allowlists.keyVaultSuffixes (the webhook hands the list to the agent in " +
	config.AllowedKeyVaultSuffixesEnv + ")"

// notAllowedError is a vault the allowlist refuses.
type notAllowedError struct {
	vault string // normalised vault URL: a host, never a secret name
	err   error  // why, as allowlist words it ("is not under …")
}

func (e *notAllowedError) Error() string {
	return fmt.Sprintf("key vault %s is not allowed in this cluster: it %v; fix: %s", e.vault, e.err, config.KeyVaultAllowlistFix)
}

// refusal is a Key Vault reference in a Fig value whose vault the allowlist
// refuses. It names the setting and the vault, never the secret or the
// value.
type refusal struct {
	key   string
	vault string
	err   error // the allowlist's reason
}

func (r refusal) String() string {
	return fmt.Sprintf("setting %s from Fig references vault %s, which is not allowed in this cluster: it %v", r.key, r.vault, r.err)
}

// reportRefused logs each refused reference when Fig values arrive; no
// request is ever sent to its vault.
func (a *Agent) reportRefused(refused []refusal) {
	for _, r := range refused {
		a.log.Error("Key Vault reference refused: its vault is not in the cluster's allowlist, and the setting stays unresolved",
			"key", r.key, "vault", r.vault, "error", r.String(), "fix", refFix)
	}
}

// refusedErr splits unresolved keys into those a refusal explains and the
// rest, and returns the rest and the error for the former (nil when there
// are none).
func (a *Agent) refusedErr(unresolved []string) (rest []string, err error) {
	var msgs []string
	for _, k := range unresolved {
		found := false
		for _, r := range a.state.refused {
			if strings.EqualFold(r.key, k) {
				msgs, found = append(msgs, r.String()), true
				break
			}
		}
		if !found {
			rest = append(rest, k)
		}
	}
	if len(msgs) == 0 {
		return rest, nil
	}
	return rest, fmt.Errorf("%w: %s; fix: %s", errRefused, strings.Join(msgs, "; "), refFix)
}
