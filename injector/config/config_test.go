package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/config"
)

const full = `
fig:
  apiUri: https://fig-api.fig.svc:8080
  clientName: OrderService
  clientSecret:
    file: /etc/fig-injector/client-secret/secret
  pollInterval: 10s
keyVaults:
  - url: https://orders-kv.vault.azure.net/
    prefix: "OrderService--"
    secrets:
      - name: db-password
        key: ConnectionStrings:Orders:Password
        optional: true
outputs:
  - path: /fig/appsettings.json
notify:
  signal: { process: dotnet }
listen: ":9102"
`

func load(t *testing.T, yaml string, env map[string]string) (*config.Config, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.Load(p, func(k string) string { return env[k] })
}

func TestLoadAppliesDefaultsAndEnv(t *testing.T) {
	cfg, err := load(t, full, map[string]string{
		"AZURE_CLIENT_ID": "cid", "AZURE_TENANT_ID": "tid", "FIG_ORDERSERVICE_INSTANCE": "blue",
		"FIG_API_URI": "https://ignored.example", // the file wins
	})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"fig.apiUri", cfg.Fig.APIURI, "https://fig-api.fig.svc:8080"},
		{"fig.instance", cfg.Fig.Instance, "blue"},
		{"fig.pollInterval", cfg.Fig.PollInterval.D().String(), "10s"},
		{"keyVaults[0].pollInterval", cfg.KeyVaults[0].PollInterval.D().String(), "1m0s"},
		{"outputs[0].format", cfg.Outputs[0].Format, "json"},
		{"outputs[0].mode", cfg.Outputs[0].Mode, "0440"},
		{"azure.clientId", cfg.Azure.ClientID, "cid"},
		{"azure.keyVaultDnsSuffix", cfg.Azure.KeyVaultDNSSuffix, "vault.azure.net"},
		{"notify.signal.name", cfg.Notify.Signal.Name, "SIGHUP"},
		{"initTimeout", cfg.InitTimeout.D().String(), "2m0s"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestFigPollIntervalFromEnv(t *testing.T) {
	cfg, err := load(t, "fig: {clientName: A, apiUri: 'http://fig:8080'}\noutputs: [{path: /fig/a.json}]\n",
		map[string]string{"FIG_POLL_INTERVAL_MS": "5000"})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Fig.PollInterval.D(); got != 5*time.Second {
		t.Errorf("pollInterval = %s, want 5s from FIG_POLL_INTERVAL_MS", got)
	}
}

// TestFigRequestTimeout follows Fig.Client's ValidatedHttpClientFactory:
// 60 s by default, FIG_API_REQUEST_TIMEOUT_SECONDS when it is a positive
// integer (anything else is ignored), the file over both.
func TestFigRequestTimeout(t *testing.T) {
	tests := []struct {
		name, field, env string
		want             time.Duration
	}{
		{"Fig.Client's default", "", "", 60 * time.Second},
		{"from the environment", "", "90", 90 * time.Second},
		{"environment not an integer is ignored", "", "1.5", 60 * time.Second},
		{"environment not positive is ignored", "", "0", 60 * time.Second},
		{"the file wins", ", requestTimeout: 2m", "90", 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, "fig: {clientName: A, apiUri: 'http://fig:8080'"+tt.field+"}\noutputs: [{path: /fig/a.json}]\n",
				map[string]string{"FIG_API_REQUEST_TIMEOUT_SECONDS": tt.env})
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Fig.RequestTimeout.D(); got != tt.want {
				t.Errorf("requestTimeout = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestFigAppFields: the application's version, health endpoint, restart
// action and overrides take their defaults and are checked, each error
// naming the field and the fix.
func TestFigAppFields(t *testing.T) {
	cfg, err := load(t, "fig: {clientName: A, apiUri: 'http://fig:8080', restart: {signal: {process: dotnet}}}\noutputs: [{path: /fig/a.json}]\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Fig.Restart.Signal.Name; got != "SIGTERM" {
		t.Errorf("restart.signal.name = %q, want SIGTERM", got)
	}
	if got := cfg.Fig.ApplicationVersion; got != "Unknown" {
		t.Errorf("applicationVersion = %q, want Fig.Client's Unknown", got)
	}
	cfg, err = load(t, "fig: {clientName: A, apiUri: 'http://fig:8080'}\noutputs: [{path: /fig/a.json}]\n", map[string]string{config.AppVersionEnv: "2.3.1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Fig.ApplicationVersion; got != "2.3.1" {
		t.Errorf("applicationVersion = %q, want 2.3.1 from %s", got, config.AppVersionEnv)
	}
	tests := []struct{ field, want string }{
		{"restart: {}", "fig.restart: must set exactly one of signal and http; fix:"},
		{"restart: {signal: {process: dotnet}, http: {url: 'http://127.0.0.1:1/r'}}", "fig.restart: must set exactly one of signal and http"},
		{"restart: {signal: {process: ''}}", "fig.restart.signal.process: is required; fix: name the app's main process"},
		{"restart: {signal: {process: dotnet, name: SIGHUP}}", `fig.restart.signal.name: "SIGHUP" is not a signal that ends the app; fix: use SIGTERM`},
		{"restart: {http: {url: 'ftp://x'}}", `fig.restart.http.url: "ftp://x" is not an http(s) URL; fix:`},
		{"appHealthUrl: '127.0.0.1:8080/health'", `fig.appHealthUrl: "127.0.0.1:8080/health" is not an http(s) URL; fix: use the app's health endpoint`},
		{"applicationVersion: \"1.0\\n2\"", "fig.applicationVersion: contains a control character; fix:"},
		{"overrides: {Timeout: '5'}", "fig.overrides: needs fig.register; fix: declare the settings in a fig.register file"},
	}
	for _, tt := range tests {
		_, err := load(t, "fig: {clientName: A, apiUri: 'http://fig:8080', "+tt.field+"}\noutputs: [{path: /fig/a.json}]\n", nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", tt.field, err, tt.want)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error: the field path and the fix
	}{
		{"unknown field with its path", "fig: {clientName: A, apiUri: 'http://f', polInterval: 1s}\noutputs: [{path: /f/a}]",
			[]string{`unknown field "fig.polInterval"`, "fix:"}},
		{"duplicate field", "listen: ':1'\nlisten: ':2'\noutputs: [{path: /f/a}]", []string{`listen`, "duplicate"}},
		{"no source", "outputs: [{path: /f/a}]", []string{"fig: no source is configured; fix: configure fig, keyVaults, or both"}},
		{"missing client name", "fig: {apiUri: 'http://f'}\noutputs: [{path: /f/a}]", []string{"fig.clientName: is required"}},
		{"missing api uri", "fig: {clientName: A}\noutputs: [{path: /f/a}]", []string{"fig.apiUri: is required", "FIG_API_URI"}},
		{"regex char in client name", "fig: {clientName: 'A.B', apiUri: 'http://f'}\noutputs: [{path: /f/a}]", []string{"fig.clientName", "forbids"}},
		{"bad format", "fig: {clientName: A, apiUri: 'http://f'}\noutputs: [{path: /f/a, format: xml}]", []string{`outputs[0].format: "xml" is not a format; fix: use one of json, yaml, env, properties, template`}},
		{"template without file", "fig: {clientName: A, apiUri: 'http://f'}\noutputs: [{path: /f/a, format: template}]", []string{"outputs[0].template"}},
		{"relative path", "fig: {clientName: A, apiUri: 'http://f'}\noutputs: [{path: f/a}]", []string{"outputs[0].path"}},
		{"bad mode", "fig: {clientName: A, apiUri: 'http://f'}\noutputs: [{path: /f/a, mode: '999'}]", []string{"outputs[0].mode"}},
		{"mode the writer rejects", "fig: {clientName: A, apiUri: 'http://f'}\noutputs: [{path: /f/a, mode: '00440'}]", []string{"outputs[0].mode"}},
		{"mode the owner cannot read", "fig: {clientName: A, apiUri: 'http://f'}\noutputs: [{path: /f/a, mode: '0040'}]", []string{"outputs[0].mode"}},
		{"bad duration", "fig: {clientName: A, apiUri: 'http://f', pollInterval: soon}\noutputs: [{path: /f/a}]", []string{`fig.pollInterval: "soon" is not a duration`}},
		{"request timeout too short", "fig: {clientName: A, apiUri: 'http://f', requestTimeout: 10ms}\noutputs: [{path: /f/a}]", []string{"fig.requestTimeout: 10ms is shorter than 1s", "fix:"}},
		{"request timeout too long", "fig: {clientName: A, apiUri: 'http://f', requestTimeout: 1h}\noutputs: [{path: /f/a}]", []string{"fig.requestTimeout: 1h0m0s is longer than 10m0s", "fix: use at most 10m"}},
		{"two secret sources", "fig: {clientName: A, apiUri: 'http://f', clientSecret: {env: X, file: /s}}\noutputs: [{path: /f/a}]", []string{"fig.clientSecret: sets more than one"}},
		{"http vault", "keyVaults: [{url: 'http://kv', prefix: a}]\noutputs: [{path: /f/a}]", []string{"keyVaults[0].url"}},
		{"bad secret name", "keyVaults: [{url: 'https://kv', secrets: [{name: 'a_b', key: K}]}]\noutputs: [{path: /f/a}]", []string{"keyVaults[0].secrets[0].name"}},
		{"bad secret version", "keyVaults: [{url: 'https://kv', secrets: [{name: a, key: K, version: 'v-1'}]}]\noutputs: [{path: /f/a}]",
			[]string{`keyVaults[0].secrets[0].version: "v-1" is not a secret version; fix: use the version Key Vault shows`}},
		{"bad prefix", "keyVaults: [{url: 'https://kv', prefix: 'Orders:'}]\noutputs: [{path: /f/a}]",
			[]string{`keyVaults[0].prefix: "Orders:" is not a Key Vault secret name prefix; fix: use the start of your secret names`}},
		{"client name too long", "fig: {clientName: '" + strings.Repeat("a", 256) + "', apiUri: 'http://f'}\noutputs: [{path: /f/a}]",
			[]string{"fig.clientName: is longer than 255 characters (256; Fig allows at most 255); fix: use the client name registered in Fig"}},
		{"bad notify signal", "fig: {clientName: A, apiUri: 'http://f'}\nnotify: {signal: {process: dotnet, name: SIGFOO}}\noutputs: [{path: /f/a}]",
			[]string{`notify.signal.name: "SIGFOO" is not a signal; fix: use a name such as SIGHUP`}},
		{"relay over http", "fig: {clientName: A, apiUri: 'http://f'}\nrelay: {url: 'http://relay:8443', tokenFile: /t/token}\noutputs: [{path: /f/a}]",
			[]string{`relay.url: "http://relay:8443" is not an https URL; fix: use the relay Service's URL`}},
		{"relay without token", "fig: {clientName: A, apiUri: 'http://f'}\nrelay: {url: 'https://relay:8443'}\noutputs: [{path: /f/a}]",
			[]string{`relay.tokenFile: "" is not an absolute path; fix: use the path of the projected service-account token`}},
		// Issue 12 item 13: .NET configuration keys are case-insensitive, so these map one key twice.
		{"key mapped twice in another case", "keyVaults: [{url: 'https://kv', secrets: [{name: a, key: Db:Password}, {name: b, key: db:password}]}]\noutputs: [{path: /f/a}]",
			[]string{`keyVaults[0].secrets[1].key: "db:password" is mapped twice (keys are case-insensitive`}},
		{"key mapped in two vaults", "keyVaults: [{url: 'https://kv', secrets: [{name: a, key: Db}]}, {url: 'https://kv2', secrets: [{name: a, key: DB}]}]\noutputs: [{path: /f/a}]",
			[]string{`keyVaults[1].secrets[0].key: "DB" is mapped twice`}},
		{"every problem at once", "fig: {}\noutputs: []", []string{"fig.clientName", "fig.apiUri", "outputs: is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.yaml, nil)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	cfg, err := load(t, full, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := config.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := config.Parse(out)
	if err != nil {
		t.Fatalf("Parse(Marshal(cfg)): %v\n%s", err, out)
	}
	again.ApplyDefaults()
	if diff := cmp.Diff(cfg, again, cmp.AllowUnexported(config.Duration{})); diff != "" {
		t.Errorf("round trip differs (-want +got):\n%s", diff)
	}
}
