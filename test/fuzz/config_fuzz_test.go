package fuzz

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/config"
)

// configSeeds are agent configurations as users write them: complete,
// minimal, and with the mistakes Parse must reject (unknown fields, wrong
// types, bad durations, two client-secret sources).
var configSeeds = []string{
	`fig:
  apiUri: https://fig-api.fig.svc:8080
  clientName: OrderService
  clientSecret: { file: /var/run/secrets/fig/secret }
  pollInterval: 30s
keyVaults:
  - url: https://orders-kv.vault.azure.net/
    prefix: "OrderService--"
    secrets:
      - { name: db-password, key: "ConnectionStrings:Orders:Password", version: "", optional: false }
    pollInterval: 60s
outputs:
  - { path: /fig/appsettings.json, format: json, mode: "0440" }
azure: { clientId: 2b7c9e4d-1f3a-4e6b-8c5d-7a9f0e1d2c3b, tenantId: 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f, tokenFile: /var/run/token }
notify:
  signal: { process: dotnet, name: SIGHUP }
  http: { url: "http://127.0.0.1:8080/reload" }
listen: ":9102"
`,
	`keyVaults: [{url: "https://kv.vault.azure.net/", secrets: [{name: a, key: A}]}]
outputs: [{path: /fig/a.env, format: env}]`,
	`fig: {clientName: X, clientSecret: {env: A, file: /b}}`,
	`fig: {pollInterval: forever}`,
	`outputs: [{path: /fig/x, format: template, template: /t.tmpl}]`,
	`unknownField: 1`,
	`fig: [1, 2]`,
	`{"fig": {"apiUri": "https://a,https://b", "clientName": "C", "clientSecret": {"keyVault": "https://kv.vault.azure.net/secrets/s"}}}`,
	``,
	`initTimeout: -5s`,
}

// FuzzParse feeds arbitrary bytes to config.Parse: it must never panic, and
// a configuration it accepts and validates must survive Marshal → Parse
// unchanged (what the webhook relies on when it hands a configuration to
// the agent as YAML).
func FuzzParse(f *testing.F) {
	for _, s := range configSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if cfg.Validate() != nil {
			return
		}
		out, err := config.Marshal(cfg)
		if err != nil {
			t.Fatalf("Marshal of a valid configuration: %v", err)
		}
		again, err := config.Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(cfg)): %v\n%s", err, out)
		}
		out2, err := config.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(out), string(out2)); diff != "" {
			t.Fatalf("Marshal → Parse → Marshal changed the configuration (-first +second):\n%s", diff)
		}
	})
}
