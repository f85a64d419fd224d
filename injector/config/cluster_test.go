package config_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/config"
)

// strict is what the webhook applies to a ConfigMap config whose first
// output is /fig/appsettings.json, in a cluster with the chart's defaults.
var strict = config.ClusterRules{
	AuthorityHost:                     "https://login.microsoftonline.com/",
	KeepChallengeResourceVerification: true,
	LoopbackNotify:                    true,
	OutputDir:                         "/fig",
	Files:                             &agentDirs,
}

// agentDirs are the agent's private mounts as the webhook hands them over.
var agentDirs = config.FileDirs{ClientSecret: "/etc/fig-injector/client-secret", Config: "/etc/fig-injector/config",
	Template: "/etc/fig-injector/template", CA: "/etc/fig-injector/ca", Relay: "/var/run/secrets/fig-injector/relay"}

// relayURL is the cluster's relay in the relay cases.
const relayURL = "https://fig-injector-relay.fig-injector.svc:8443"

// TestClusterRules: each rule refuses what admission refuses, naming the
// field, the value and the fix, and accepts the rest; the zero rules accept
// everything.
func TestClusterRules(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*config.Config)
		rules config.ClusterRules
		want  []string // Error() of each *FieldError; nil: accepted
	}{
		{"accepted", func(*config.Config) {}, strict, nil},
		{"the cluster's authority", func(c *config.Config) { c.Azure.AuthorityHost = "https://login.microsoftonline.com/" }, strict, nil},
		{"the cluster's authority without the slash", func(c *config.Config) { c.Azure.AuthorityHost = "https://login.microsoftonline.com" }, strict, nil},
		{"another authority", func(c *config.Config) { c.Azure.AuthorityHost = "https://login.evil.example/" }, strict,
			[]string{`azure.authorityHost: "https://login.evil.example/" is not the cluster's authority https://login.microsoftonline.com/; fix: leave azure.authorityHost out (the cluster sets it; the webhook hands its authority to the agent in FIG_INJECTOR_ALLOWED_AZURE_AUTHORITY_HOST)`}},
		{"an authority below the cluster's", func(c *config.Config) { c.Azure.AuthorityHost = "https://login.microsoftonline.com.evil.example/" }, strict,
			[]string{`azure.authorityHost: "https://login.microsoftonline.com.evil.example/" is not the cluster's authority`}},
		{"challenge verification disabled", func(c *config.Config) { c.Azure.DisableChallengeResourceVerification = true }, strict,
			[]string{`azure.disableChallengeResourceVerification: is not allowed in this cluster; fix: remove azure.disableChallengeResourceVerification (it lets a vault outside the Key Vault DNS suffixes receive a token)`}},
		{"challenge verification disabled where allowed", func(c *config.Config) { c.Azure.DisableChallengeResourceVerification = true },
			config.ClusterRules{AuthorityHost: strict.AuthorityHost, LoopbackNotify: true, OutputDir: "/fig"}, nil},
		{"notify on loopback", func(c *config.Config) { c.Notify.HTTP = &config.HTTPNotify{URL: "http://127.0.0.1:8080/reload"} }, strict, nil},
		{"notify on localhost", func(c *config.Config) { c.Notify.HTTP = &config.HTTPNotify{URL: "http://localhost:8080/reload"} }, strict, nil},
		{"notify on ::1", func(c *config.Config) { c.Notify.HTTP = &config.HTTPNotify{URL: "http://[::1]:8080/reload"} }, strict, nil},
		{"notify elsewhere", func(c *config.Config) { c.Notify.HTTP = &config.HTTPNotify{URL: "http://fig-api.fig.svc/x"} }, strict,
			[]string{`notify.http.url: "http://fig-api.fig.svc/x" is not on the pod's loopback; fix: use http://127.0.0.1:<port>/<path>`}},
		{"notify on any address", func(c *config.Config) { c.Notify.HTTP = &config.HTTPNotify{URL: "http://0.0.0.0:8080/"} }, strict,
			[]string{`notify.http.url: "http://0.0.0.0:8080/" is not on the pod's loopback`}},
		{"notify over https", func(c *config.Config) { c.Notify.HTTP = &config.HTTPNotify{URL: "https://127.0.0.1:8080/"} }, strict,
			[]string{`notify.http.url: "https://127.0.0.1:8080/" is not on the pod's loopback`}},
		{"restart and health on loopback", func(c *config.Config) {
			c.Fig.Restart = &config.Restart{HTTP: &config.HTTPNotify{URL: "http://127.0.0.1:8080/restart"}}
			c.Fig.AppHealthURL = "http://localhost:8080/health"
		}, strict, nil},
		{"restart and health elsewhere", func(c *config.Config) {
			c.Fig.Restart = &config.Restart{HTTP: &config.HTTPNotify{URL: "http://other.svc/restart"}}
			c.Fig.AppHealthURL = "http://10.0.0.1:8080/health"
		}, strict, []string{
			`fig.restart.http.url: "http://other.svc/restart" is not on the pod's loopback; fix: use http://127.0.0.1:<port>/<path>`,
			`fig.appHealthUrl: "http://10.0.0.1:8080/health" is not on the pod's loopback; fix: use http://127.0.0.1:<port>/<path>`}},
		{"output below the directory", func(c *config.Config) {
			c.Outputs = append(c.Outputs, config.Output{Path: "/fig/env/app.env", Format: "env"})
		}, strict, nil},
		{"output outside the directory", func(c *config.Config) {
			c.Outputs = append(c.Outputs, config.Output{Path: "/tmp/app.json"})
		}, strict, []string{`outputs[1].path: "/tmp/app.json" is outside /fig; fix: write every output below /fig (the shared volume is mounted there)`}},
		{"output in a sibling directory", func(c *config.Config) { c.Outputs[0].Path = "/figx/appsettings.json" }, strict,
			[]string{`outputs[0].path: "/figx/appsettings.json" is outside /fig`}},
		{"output with dot-dot", func(c *config.Config) { c.Outputs[0].Path = "/fig/../etc/passwd" }, strict,
			[]string{`outputs[0].path: "/fig/../etc/passwd" is not a clean file path; fix: use files in a directory of their own, e.g. /fig/appsettings.json`}},
		{"output hidden", func(c *config.Config) { c.Outputs[0].Path = "/fig/.fig-injector" }, strict,
			[]string{`outputs[0].path: "/fig/.fig-injector" is a hidden file`}},
		// Paths (issue 12 item 7): every file the config reads stays in the mount meant for it.
		{"files in their mounts", func(c *config.Config) {
			c.Fig.ClientSecret.File = "/etc/fig-injector/client-secret/secret"
			c.Fig.Register = "/etc/fig-injector/config/settings.yaml"
			c.Outputs[0].Format, c.Outputs[0].Template = "template", "/etc/fig-injector/template/app.tmpl"
			c.TLS.CAFile = "/etc/fig-injector/ca/ca.crt"
		}, strict, nil},
		{"the federated token as the client secret", func(c *config.Config) {
			c.Fig.ClientSecret.File = "/var/run/secrets/azure/tokens/azure-identity-token"
		}, strict, []string{`fig.clientSecret.file: "/var/run/secrets/azure/tokens/azure-identity-token" is outside /etc/fig-injector/client-secret; fix: leave it out and name the Secret in the fig-injector.io/client-secret annotation`}},
		{"the client secret as a template", func(c *config.Config) {
			c.Outputs[0].Format, c.Outputs[0].Template = "template", "/etc/fig-injector/client-secret/secret"
		}, strict, []string{`outputs[0].template: "/etc/fig-injector/client-secret/secret" is outside /etc/fig-injector/template and /etc/fig-injector/config`}},
		{"a template escaping its mount", func(c *config.Config) {
			c.Outputs[0].Format, c.Outputs[0].Template = "template", "/etc/fig-injector/template/../client-secret/secret"
		}, strict, []string{`outputs[0].template: "/etc/fig-injector/template/../client-secret/secret" is outside`}},
		{"the output as the CA", func(c *config.Config) { c.TLS.CAFile = "/fig/appsettings.json" }, strict,
			[]string{`tls.caFile: "/fig/appsettings.json" is outside /etc/fig-injector/ca and /etc/fig-injector/config`}},
		{"/dev/zero as the declaration", func(c *config.Config) { c.Fig.Register = "/dev/zero" }, strict,
			[]string{`fig.register: "/dev/zero" is outside /etc/fig-injector/config and /etc/fig-injector/template`}},
		{"another token file", func(c *config.Config) { c.Azure.TokenFile = "/etc/fig-injector/client-secret/secret" }, strict,
			[]string{`azure.tokenFile: "/etc/fig-injector/client-secret/secret" is not the workload identity's token file; fix: leave it out`}},
		{"the identity's token file", func(c *config.Config) { c.Azure.TokenFile = "/var/run/secrets/azure/tokens/azure-identity-token" },
			config.ClusterRules{Files: &agentDirs, TokenFile: "/var/run/secrets/azure/tokens/azure-identity-token"}, nil},
		// Issue 14: a relay section only to the cluster's relay, its token only from the relay token's mount.
		{"the cluster's relay", func(c *config.Config) {
			c.Relay = &config.Relay{URL: relayURL, TokenFile: "/var/run/secrets/fig-injector/relay/token"}
		}, config.ClusterRules{Files: &agentDirs, RelayURL: relayURL}, nil},
		{"another relay", func(c *config.Config) {
			c.Relay = &config.Relay{URL: "https://relay.evil.example", TokenFile: "/var/run/secrets/fig-injector/relay/token"}
		}, config.ClusterRules{Files: &agentDirs, RelayURL: relayURL}, []string{`relay.url: "https://relay.evil.example" is not the cluster's relay ` + relayURL + `; fix: leave relay out`}},
		{"a relay where the cluster runs none", func(c *config.Config) {
			c.Relay = &config.Relay{URL: relayURL, TokenFile: "/var/run/secrets/fig-injector/relay/token"}
		}, strict, []string{`relay.url: is not allowed: the cluster runs no relay; fix: leave relay out`}},
		{"the federated token as the relay token", func(c *config.Config) {
			c.Relay = &config.Relay{URL: relayURL, TokenFile: "/var/run/secrets/fig-injector/azure/azure-identity-token"}
		}, config.ClusterRules{Files: &agentDirs, RelayURL: relayURL}, []string{`relay.tokenFile: "/var/run/secrets/fig-injector/azure/azure-identity-token" is outside /var/run/secrets/fig-injector/relay; fix: use /var/run/secrets/fig-injector/relay/token`}},
		{"everything at once", func(c *config.Config) {
			c.Azure.AuthorityHost = "https://login.evil.example/"
			c.Azure.DisableChallengeResourceVerification = true
			c.Notify.HTTP = &config.HTTPNotify{URL: "http://10.0.0.1/"}
			c.Outputs[0].Path = "/var/app.json"
		}, strict, []string{"azure.authorityHost:", "azure.disableChallengeResourceVerification:", "notify.http.url:", "outputs[0].path:"}},
		{"no rules", func(c *config.Config) {
			c.Azure.AuthorityHost = "https://login.evil.example/"
			c.Azure.DisableChallengeResourceVerification = true
			c.Notify.HTTP = &config.HTTPNotify{URL: "http://10.0.0.1/"}
			c.Outputs[0].Path = "/var/app.json"
		}, config.ClusterRules{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := load(t, full, nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(cfg)
			var got []string
			for _, e := range tc.rules.Check(cfg) {
				got = append(got, e.Error())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Check = %q, want %d problems: %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d = %q, want it to start with %q", i, got[i], w)
				}
			}
		})
	}
}

// TestCheckOutputPath: the paths admission refuses for an output, whose
// directory becomes a mount point.
func TestCheckOutputPath(t *testing.T) {
	tests := []struct{ path, problem string }{
		{"/fig/appsettings.json", ""},
		{"/etc/orders/settings.json", ""},
		{"fig/appsettings.json", "is not an absolute path"},
		{"/fig//appsettings.json", "is not a clean file path"},
		{"/fig/appsettings.json/", "is not a clean file path"},
		{"/appsettings.json", "is in the root directory, which cannot be a mount point"},
		{"/fig/.env", "is a hidden file"},
		{"/etc/fig-injector/x.json", "overlaps the reserved path /etc/fig-injector"},
		{"/etc/x.json", "overlaps the reserved path /etc/fig-injector"},
		{"/var/run/secrets/kubernetes.io/x", "overlaps the reserved path /var/run/secrets"},
		{"/proc/x", "overlaps the reserved path /proc"},
		// Issue 12 item 13: these were admitted.
		{"/fig/app\x00settings.json", "contains a control character (NUL, newline, …)"},
		{"/fig/app\nsettings.json", "contains a control character (NUL, newline, …)"},
		{"/fig/" + strings.Repeat("a", 256), "has a name longer than 255 bytes"},
		{"/fig/" + strings.Repeat("a", 255), ""},
		{strings.Repeat("/abcdefgh", 120) + "/a.json", "is longer than 1024 bytes"},
		{"/etc/ssl/appsettings.json", "would hide the image's system directory /etc/ssl"},
		{"/etc/ssl/certs/ca-certificates.crt", "would hide the image's system directory /etc/ssl"},
		{"/usr/local/bin/app.json", "would hide the image's system directory /usr"},
		{"/etc/pki/tls/x.json", "would hide the image's system directory /etc/pki"},
		{"/etc/sslx/x.json", ""},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got := ""
			if err := config.CheckOutputPath(tc.path); err != nil {
				got = err.Error()
			}
			if got != tc.problem {
				t.Errorf("CheckOutputPath(%q) = %q, want %q", tc.path, got, tc.problem)
			}
		})
	}
}

// clusterEnv is what the webhook sets for a ConfigMap config whose outputs
// are under /fig, with the chart's defaults.
var clusterEnv = withEnv(allowlistEnv,
	config.AllowedAzureAuthorityHostEnv, "https://login.microsoftonline.com/",
	config.AllowDisableChallengeResourceVerificationEnv, "false",
	config.AllowedOutputDirEnv, "/fig",
	config.ConfineFilesEnv, agentDirs.String())

// TestClusterRulesFromEnv: Load applies the rules the webhook handed over,
// each only when its variable is set; a malformed variable stops the load;
// and an authority taken from AZURE_AUTHORITY_HOST (copied from an app
// container, whose author chose it) is compared like the file's: it used to
// be exempt, so an app container's env could send the pod's federated token
// to any authority.
func TestClusterRulesFromEnv(t *testing.T) {
	authority := strings.Replace(full, "listen:", "azure:\n  authorityHost: https://login.evil.example/\nlisten:", 1)
	challenge := strings.Replace(full, "listen:", "azure:\n  disableChallengeResourceVerification: true\nlisten:", 1)
	notify := strings.Replace(full, "signal: { process: dotnet }", "http: { url: \"http://fig-api.fig.svc/x\" }", 1)
	output := strings.Replace(full, "/fig/appsettings.json", "/tmp/appsettings.json", 1)
	relay := func(url string) string {
		return strings.Replace(full, "listen:", "relay:\n  url: "+url+"\n  tokenFile: /var/run/secrets/fig-injector/relay/token\nlisten:", 1)
	}
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want string // "" = loads
	}{
		{"the chart's defaults", full, clusterEnv, ""},
		{"another authority", authority, clusterEnv,
			`azure.authorityHost: "https://login.evil.example/" is not the cluster's authority https://login.microsoftonline.com/; fix: leave azure.authorityHost out`},
		{"another authority, rule not handed over", authority, withEnv(clusterEnv, config.AllowedAzureAuthorityHostEnv, ""), ""},
		{"another authority from AZURE_AUTHORITY_HOST", full, withEnv(clusterEnv, "AZURE_AUTHORITY_HOST", "https://login.partner.example/"),
			`AZURE_AUTHORITY_HOST (azure.authorityHost from the environment): "https://login.partner.example/" is not the cluster's authority https://login.microsoftonline.com/; fix: remove AZURE_AUTHORITY_HOST from the pod's containers`},
		{"the cluster's authority from AZURE_AUTHORITY_HOST", full, withEnv(clusterEnv, "AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com"), ""},
		{"the file names AZURE_AUTHORITY_HOST's authority", strings.Replace(authority, "login.evil.example", "login.partner.example", 1),
			withEnv(clusterEnv, "AZURE_AUTHORITY_HOST", "https://login.partner.example"), `azure.authorityHost: "https://login.partner.example/" is not the cluster's authority`},
		{"another authority than AZURE_AUTHORITY_HOST's", authority, withEnv(clusterEnv, "AZURE_AUTHORITY_HOST", "https://login.partner.example/"),
			`azure.authorityHost: "https://login.evil.example/" is not the cluster's authority`},
		{"challenge verification disabled", challenge, clusterEnv, `azure.disableChallengeResourceVerification: is not allowed in this cluster; fix: remove`},
		{"challenge verification disabled where allowed", challenge, withEnv(clusterEnv, config.AllowDisableChallengeResourceVerificationEnv, "true"), ""},
		{"challenge verification disabled, rule not handed over", challenge, withEnv(clusterEnv, config.AllowDisableChallengeResourceVerificationEnv, ""), ""},
		{"notify elsewhere", notify, clusterEnv, `notify.http.url: "http://fig-api.fig.svc/x" is not on the pod's loopback; fix: use http://127.0.0.1:<port>/<path>`},
		{"notify elsewhere with only the old variables", notify, allowlistEnv, `notify.http.url: "http://fig-api.fig.svc/x" is not on the pod's loopback`},
		{"notify elsewhere without variables", notify, nil, ""},
		{"output elsewhere", output, clusterEnv, `outputs[0].path: "/tmp/appsettings.json" is outside /fig; fix: write every output below /fig (the shared volume is mounted there)`},
		{"output elsewhere, rule not handed over", output, withEnv(clusterEnv, config.AllowedOutputDirEnv, ""), ""},
		{"malformed authority", full, withEnv(clusterEnv, config.AllowedAzureAuthorityHostEnv, "http://login"),
			config.AllowedAzureAuthorityHostEnv + `: "http://login" is not an https URL; fix: set the cluster's authority host`},
		{"client secret elsewhere", strings.Replace(full, "/etc/fig-injector/client-secret/secret", "/var/run/secrets/azure/tokens/azure-identity-token", 1), clusterEnv,
			`fig.clientSecret.file: "/var/run/secrets/azure/tokens/azure-identity-token" is outside /etc/fig-injector/client-secret`},
		{"client secret elsewhere, rule not handed over", strings.Replace(full, "/etc/fig-injector/client-secret/secret", "/var/run/secrets/azure/tokens/azure-identity-token", 1),
			withEnv(clusterEnv, config.ConfineFilesEnv, ""), ""},
		{"malformed confinement", full, withEnv(clusterEnv, config.ConfineFilesEnv, "true"),
			config.ConfineFilesEnv + `: "true" is not a JSON object of clientSecret, config, template, ca and relay`},
		{"confinement missing a mount", full, withEnv(clusterEnv, config.ConfineFilesEnv, `{"clientSecret":"/s","config":"/c","template":"/t","ca":"/a"}`),
			`gives relay "", which is not a clean absolute directory other than /`},
		{"confinement to the root", full, withEnv(clusterEnv, config.ConfineFilesEnv, `{"clientSecret":"/","config":"/c","template":"/t","ca":"/a","relay":"/r"}`),
			`gives clientSecret "/", which is not a clean absolute directory other than /`},
		{"another relay", relay("https://relay.evil.example"), withEnv(clusterEnv, config.AllowedRelayURLEnv, relayURL),
			`relay.url: "https://relay.evil.example" is not the cluster's relay ` + relayURL},
		{"the cluster's relay", relay(relayURL), withEnv(clusterEnv, config.AllowedRelayURLEnv, relayURL), ""},
		{"a relay, none handed over", relay(relayURL), clusterEnv, `relay.url: is not allowed: the cluster runs no relay`},
		{"malformed permission", full, withEnv(clusterEnv, config.AllowDisableChallengeResourceVerificationEnv, "sometimes"),
			config.AllowDisableChallengeResourceVerificationEnv + `: "sometimes" is not true or false; fix: set "true" or "false"`},
		{"malformed output dir", full, withEnv(clusterEnv, config.AllowedOutputDirEnv, "fig/"),
			config.AllowedOutputDirEnv + `: "fig/" is not a clean absolute directory other than /; fix: set the directory the shared volume is mounted at`},
		{"output dir /", full, withEnv(clusterEnv, config.AllowedOutputDirEnv, "/"), config.AllowedOutputDirEnv + `: "/" is not a clean absolute directory`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.yaml, tc.env)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Load refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Load = %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
}

// TestClusterRulesFromEnvAreTheWebhooks: the variables become the rules
// admission applied, and only the new variables set still make an
// Allowlist (with the URI lists unrestricted).
func TestClusterRulesFromEnvAreTheWebhooks(t *testing.T) {
	cfg, err := load(t, full, map[string]string{
		config.AllowedAzureAuthorityHostEnv:                 "https://login.microsoftonline.com/",
		config.AllowDisableChallengeResourceVerificationEnv: "false",
		config.AllowedOutputDirEnv:                          "/fig",
		config.ConfineFilesEnv:                              agentDirs.String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Allowlist == nil || !cfg.Allowlist.AnyFigURI || !cfg.Allowlist.AnyKeyVault {
		t.Fatalf("Allowlist = %+v, want one with the URI lists unrestricted", cfg.Allowlist)
	}
	if d := cmp.Diff(strict, cfg.Allowlist.Rules); d != "" {
		t.Errorf("rules (-want +got):\n%s", d)
	}
}
