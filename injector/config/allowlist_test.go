package config_test

import (
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/config"
)

// allowlistEnv is what the webhook sets for the chart's defaults.
var allowlistEnv = map[string]string{
	config.AllowedFigAPIURIsEnv:       "https://fig-api.fig.svc:8080,https://fig-api.fig-blue.svc:8080/api",
	config.AllowedKeyVaultSuffixesEnv: "vault.azure.net",
}

func withEnv(base map[string]string, kv ...string) map[string]string {
	env := map[string]string{}
	for k, v := range base {
		env[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

// TestAllowlistRefusesConfig: with the webhook's allowlists in the
// environment, a configuration that names another Fig API or vault does not
// load, and the error names the field, the URI, the reason and the fix.
func TestAllowlistRefusesConfig(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string
	}{
		{"fig uri", strings.Replace(full, "https://fig-api.fig.svc:8080", "https://fig.evil.example", 1), allowlistEnv,
			[]string{`fig.apiUri: "https://fig.evil.example" is not allowed in this cluster: it is not in the allowlist (https://fig-api.fig.svc:8080, https://fig-api.fig-blue.svc:8080/api); fix: use an allowed Fig API URI`, "allowlists.figUris", config.AllowedFigAPIURIsEnv}},
		{"one fig uri of several", strings.Replace(full, "https://fig-api.fig.svc:8080", "https://fig-api.fig.svc:8080,https://fig-api.fig.svc:8080@evil.example", 1), allowlistEnv,
			[]string{`fig.apiUri: "https://fig-api.fig.svc:8080@evil.example" is not allowed in this cluster: it contains user info`}},
		{"fig uri from FIG_API_URI", strings.Replace(full, "  apiUri: https://fig-api.fig.svc:8080\n", "", 1), withEnv(allowlistEnv, "FIG_API_URI", "https://fig.evil.example"),
			[]string{`fig.apiUri: "https://fig.evil.example" is not allowed`}},
		{"vault url", strings.Replace(full, "https://orders-kv.vault.azure.net/", "https://orders-kv.vault.evil.example/", 1), allowlistEnv,
			[]string{`keyVaults[0].url: "https://orders-kv.vault.evil.example/" is not allowed in this cluster: it is not under an allowed Key Vault DNS suffix (vault.azure.net); fix: use a vault under an allowed Key Vault DNS suffix`, "allowlists.keyVaultSuffixes", config.AllowedKeyVaultSuffixesEnv}},
		{"vault as an ip", strings.Replace(full, "https://orders-kv.vault.azure.net/", "https://10.0.0.7/", 1), allowlistEnv,
			[]string{`keyVaults[0].url: "https://10.0.0.7/" is not allowed in this cluster: it is an IP address`}},
		{"client secret vault", strings.Replace(full, "file: /etc/fig-injector/client-secret/secret", "keyVault: https://kv.vault.evil.example/secrets/fig", 1), allowlistEnv,
			[]string{`fig.clientSecret.keyVault: "https://kv.vault.evil.example/secrets/fig" is not allowed in this cluster: it is not under an allowed Key Vault DNS suffix`}},
		{"no vault allowed", full, withEnv(allowlistEnv, config.AllowedKeyVaultSuffixesEnv, "none"),
			[]string{`keyVaults[0].url: "https://orders-kv.vault.azure.net/" is not allowed in this cluster: it names a vault, but the allowlist of Key Vault DNS suffixes is empty`}},
		{"no fig allowed", full, withEnv(allowlistEnv, config.AllowedFigAPIURIsEnv, "none"),
			[]string{`fig.apiUri: "https://fig-api.fig.svc:8080" is not allowed in this cluster: it names a Fig API, but the allowlist of Fig API URIs is empty`}},
		{"malformed fig entry", full, withEnv(allowlistEnv, config.AllowedFigAPIURIsEnv, "https://fig-api.fig.svc:8080,https://u@fig"),
			[]string{config.AllowedFigAPIURIsEnv + `: entry "https://u@fig" contains user info (user@host); fix: list Fig API URL prefixes`}},
		{"malformed suffix", full, withEnv(allowlistEnv, config.AllowedKeyVaultSuffixesEnv, "vault.azure.net,net"),
			[]string{config.AllowedKeyVaultSuffixesEnv + `: entry "net" is a top-level domain`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.yaml, tc.env)
			if err == nil {
				t.Fatal("Load succeeded, want the allowlist to refuse it")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// TestAllowlistAccepts: what the lists allow loads, and without the
// variables (an agent the webhook did not inject) nothing is restricted.
func TestAllowlistAccepts(t *testing.T) {
	emulators := strings.NewReplacer(
		"https://fig-api.fig.svc:8080", "http://127.0.0.1:7281",
		"https://orders-kv.vault.azure.net/", "https://127.0.0.1:7283/",
	).Replace(full)
	tests := []struct {
		name string
		yaml string
		env  map[string]string
	}{
		{"the chart's defaults", full, allowlistEnv},
		{"a fig uri below an entry's path", strings.Replace(full, "https://fig-api.fig.svc:8080", "https://fig-api.fig-blue.svc:8080/api/v2", 1), allowlistEnv},
		{"emulators, entries with http and ip", emulators, map[string]string{
			config.AllowedFigAPIURIsEnv: "http://127.0.0.1:7281", config.AllowedKeyVaultSuffixesEnv: "127.0.0.1"}},
		{"no variables", strings.Replace(full, "https://orders-kv.vault.azure.net/", "https://kv.vault.evil.example/", 1), nil},
		{"only the fig variable: vaults unrestricted", strings.Replace(full, "https://orders-kv.vault.azure.net/", "https://kv.vault.evil.example/", 1),
			map[string]string{config.AllowedFigAPIURIsEnv: "https://fig-api.fig.svc:8080"}},
		{"only the vault variable: fig unrestricted", strings.Replace(full, "https://fig-api.fig.svc:8080", "https://fig.example", 1),
			map[string]string{config.AllowedKeyVaultSuffixesEnv: "vault.azure.net"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := load(t, tc.yaml, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if (cfg.Allowlist == nil) != (len(tc.env) == 0) {
				t.Errorf("Allowlist = %+v with env %v", cfg.Allowlist, tc.env)
			}
		})
	}
}

// TestCheckAllowlistNeedsNoLoad: a configuration built in code is held to
// its Allowlist as well (the agent calls CheckAllowlist when it is built).
func TestCheckAllowlistNeedsNoLoad(t *testing.T) {
	cfg, err := load(t, full, allowlistEnv)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.CheckAllowlist(); err != nil {
		t.Fatalf("the loaded config: %v", err)
	}
	cfg.KeyVaults[0].URL = "https://kv.vault.evil.example/"
	if err := cfg.CheckAllowlist(); err == nil || !strings.Contains(err.Error(), "keyVaults[0].url") {
		t.Errorf("CheckAllowlist = %v, want keyVaults[0].url refused", err)
	}
	cfg.Allowlist = nil
	if err := cfg.CheckAllowlist(); err != nil {
		t.Errorf("a nil Allowlist refused %v", err)
	}
}
