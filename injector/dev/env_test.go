package dev_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/devca"
)

// Values of examples/dev/seed.yaml the tests rely on.
const (
	clientName   = "OrderService"
	clientSecret = "0f8e6a52-3c1b-4d7e-9a2f-5b6c7d8e9f01"
	clientID     = "2b7c9e4d-1f3a-4e6b-8c5d-7a9f0e1d2c3b"
	tenantID     = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
	vaultName    = "orders-kv"
	prefixSecret = "OrderService--ConnectionStrings--Orders"
)

// fixture is a running environment whose seed is a watched file.
type fixture struct {
	t       *testing.T
	env     *dev.Env
	seed    string
	reloads chan error
}

// start runs dev with the example seed in a watched file, on random ports.
func start(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, seed: filepath.Join(dir, "seed.yaml"), reloads: make(chan error, 16)}
	if created, err := dev.WriteExampleSeed(f.seed); err != nil || !created {
		t.Fatalf("WriteExampleSeed: created=%v, %v", created, err)
	}
	env, err := dev.Start(t.Context(), dev.Options{
		Dir:         filepath.Join(dir, "demo"),
		SeedFile:    f.seed,
		AgentListen: "127.0.0.1:0",
		OnReload:    func(err error) { f.reloads <- err },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	f.env = env
	return f
}

// edit rewrites the seed atomically (as editors that save by rename do,
// so the watcher never reads half a file) with old replaced by new, and
// waits for dev to try it.
func (f *fixture) edit(old, new string) error {
	f.t.Helper()
	data, err := os.ReadFile(f.seed)
	if err != nil {
		f.t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		f.t.Fatalf("seed does not contain %q", old)
	}
	tmp := f.seed + ".tmp"
	if err := os.WriteFile(tmp, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Rename(tmp, f.seed); err != nil {
		f.t.Fatal(err)
	}
	select {
	case err := <-f.reloads:
		return err
	case <-time.After(10 * time.Second):
		f.t.Fatal("the seed edit was not applied within 10s")
		return nil
	}
}

// figSetting GETs the client's settings as Fig.Client does and returns the
// value member of one setting.
func (f *fixture) figSetting(name string) string {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), http.MethodGet,
		f.env.FigURL+"/clients/"+clientName+"/settings?runSessionId="+uuid.NewString(), nil)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("clientSecret", clientSecret)
	resp, err := f.env.HTTPClient().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("GET settings: %s: %s", resp.Status, body)
	}
	var settings []struct {
		Name  string `json:"name"`
		Value struct {
			Value json.RawMessage `json:"value"`
		} `json:"value"`
	}
	if err := json.Unmarshal(body, &settings); err != nil {
		f.t.Fatalf("settings: %v\n%s", err, body)
	}
	for _, s := range settings {
		if s.Name == name {
			return string(s.Value.Value)
		}
	}
	f.t.Fatalf("no setting %q in %s", name, body)
	return ""
}

// secrets is an azsecrets client for the vault, authenticated exactly as the
// agent will be: workload identity with the written token file against the
// Entra emulator, trusting only the written CA.
func (f *fixture) secrets() *azsecrets.Client {
	f.t.Helper()
	pem, err := os.ReadFile(f.env.CAFile)
	if err != nil {
		f.t.Fatal(err)
	}
	if !bytes.Equal(pem, f.env.CA.CertPEM()) {
		f.t.Fatal("ca.crt is not the CA's certificate")
	}
	hc := f.env.HTTPClient()
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Transport: hc, Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: f.env.EntraURL}},
		ClientID:                 clientID,
		TenantID:                 f.env.TenantID,
		TokenFilePath:            f.env.TokenFile,
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	c, err := azsecrets.NewClient(f.env.VaultURLs[vaultName], cred, &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: hc},
		DisableChallengeResourceVerification: true,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) getSecret(c *azsecrets.Client, name string) string {
	f.t.Helper()
	resp, err := c.GetSecret(f.t.Context(), name, "", nil)
	if err != nil {
		f.t.Fatalf("GetSecret %s: %v", name, err)
	}
	return *resp.Value
}

// The real Azure SDK reads a seeded secret with the written token and CA,
// and a plain HTTPS client reads the seeded Fig settings with the seeded
// secret.
func TestStartServesTheSeed(t *testing.T) {
	f := start(t)
	kv := f.secrets()
	if got := f.getSecret(kv, "api-key"); got != "dev-api-key-0001" {
		t.Errorf("api-key = %q", got)
	}
	if got := f.getSecret(kv, prefixSecret); !strings.HasPrefix(got, "Server=orders-db") {
		t.Errorf("%s = %q", prefixSecret, got)
	}
	resp, err := kv.GetSecret(t.Context(), "api-key", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]*string{"owner": new("payments")}, resp.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{
		"Location":       `"Amsterdam"`,
		"RetryCount":     `3`,
		"RequestTimeout": `"00:00:30"`,
		"Shipping":       `"{\"Carrier\":\"PostNL\",\"FreeAbove\":50}"`,
		"PaymentApiKey":  `"@Microsoft.KeyVault(VaultName=orders-kv;SecretName=api-key)"`,
	} {
		if got := f.figSetting(name); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	secret, err := os.ReadFile(f.env.FigSecretFile)
	if err != nil || string(secret) != clientSecret+"\n" {
		t.Errorf("fig-secret = %q, %v", secret, err)
	}
}

// Saving the seed changes the served Fig value and creates a new Key Vault
// version of the changed secret only; a removed secret disappears.
func TestSeedEditApplies(t *testing.T) {
	f := start(t)
	kv := f.secrets()
	vault := f.env.Vaults[vaultName]
	before := vault.Versions(prefixSecret)

	if err := f.edit("value: Amsterdam", "value: Utrecht"); err != nil {
		t.Fatal(err)
	}
	if got := f.figSetting("Location"); got != `"Utrecht"` {
		t.Errorf("Location = %s after the edit", got)
	}
	if err := f.edit("value: dev-api-key-0001", "value: dev-api-key-0002"); err != nil {
		t.Fatal(err)
	}
	if n := len(vault.Versions("api-key")); n != 2 {
		t.Errorf("api-key has %d versions, want 2", n)
	}
	if got := f.getSecret(kv, "api-key"); got != "dev-api-key-0002" {
		t.Errorf("api-key = %q after the edit", got)
	}
	if diff := cmp.Diff(before, vault.Versions(prefixSecret)); diff != "" {
		t.Errorf("an unchanged secret got a new version (-before +after):\n%s", diff)
	}
	if err := f.edit("      - name: api-key\n", "      - name: api-key-2\n"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"api-key-2", prefixSecret}, vault.Names()); diff != "" {
		t.Errorf("names after the rename (-want +got):\n%s", diff)
	}

	const instance = "    - name: OrderService\n      instance: eu\n      settings:\n        - {name: Location, value: Paris}\n\nkeyVaults:\n"
	rows := func() (out []string) {
		for _, c := range f.env.Fig.Clients() {
			out = append(out, c.Name+"/"+c.Instance)
		}
		return out
	}
	if err := f.edit("\nkeyVaults:\n", instance); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"OrderService/", "OrderService/eu"}, rows()); diff != "" {
		t.Errorf("clients after adding an instance (-want +got):\n%s", diff)
	}
	if err := f.edit(instance, "\nkeyVaults:\n"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"OrderService/"}, rows()); diff != "" {
		t.Errorf("clients after removing the instance (-want +got):\n%s", diff)
	}
}

// A bad edit is refused with the field and the fix; the previous state and
// the written files stay.
func TestSeedEditInvalidKeepsState(t *testing.T) {
	f := start(t)
	agentYAML, err := os.ReadFile(f.env.AgentConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	// Location's value is changed together with each mistake: nothing of
	// a refused edit applies.
	const retry = "          description: Where the warehouse is\n        - name: RetryCount\n          type: int\n          value: "
	tests := []struct {
		name, old, new, path string
	}{
		{"bad value", "Amsterdam\n" + retry + "3\n", "Utrecht\n" + retry + "many\n", "fig.clients[0].settings[1].value"},
		{"unknown field", "value: Amsterdam\n", "value: Utrecht\n          colour: blue\n", "fig.clients[0].settings[0].colour"},
		{"vault added", "keyVaults:\n", "keyVaults:\n  - name: other-kv\n", "keyVaults"},
		{"tenant changed", "tenantId: 6f1c", "tenantId: 7f1c", "tenantId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.edit(tt.old, tt.new)
			var fe *dev.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("edit applied or not a FieldError: %v", err)
			}
			if !strings.Contains(err.Error(), tt.path+":") || !strings.Contains(err.Error(), "fix:") {
				t.Errorf("error does not name %s and a fix: %v", tt.path, err)
			}
			if got := f.figSetting("Location"); got != `"Amsterdam"` {
				t.Errorf("Location = %s after a refused edit", got)
			}
			if n := len(f.env.Vaults[vaultName].Versions("api-key")); n != 1 {
				t.Errorf("api-key has %d versions after a refused edit", n)
			}
			now, err := os.ReadFile(f.env.AgentConfigPath)
			if err != nil || !bytes.Equal(now, agentYAML) {
				t.Errorf("agent.yaml changed after a refused edit (%v)", err)
			}
			if err := f.edit(tt.new, tt.old); err != nil { // undo: applies cleanly
				t.Fatalf("undo: %v", err)
			}
		})
	}
}

// agent.yaml is a complete, valid agent configuration for the emulators.
func TestAgentConfig(t *testing.T) {
	f := start(t)
	data, err := os.ReadFile(f.env.AgentConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	d := f.env.Dir
	want := &config.Config{
		Fig: &config.Fig{
			APIURI: f.env.FigURL, ClientName: clientName,
			ClientSecret: config.ClientSecret{File: filepath.Join(d, "fig-secret")},
			PollInterval: config.Dur(2 * time.Second),
		},
		KeyVaults: []config.KeyVault{{URL: f.env.VaultURLs[vaultName], Name: vaultName, Prefix: "OrderService--", PollInterval: config.Dur(5 * time.Second)}},
		Outputs:   []config.Output{{Path: filepath.Join(d, "appsettings.json")}},
		Azure: config.Azure{
			ClientID: clientID, TenantID: tenantID, TokenFile: filepath.Join(d, "token"), AuthorityHost: f.env.EntraURL,
			DisableInstanceDiscovery: true, DisableChallengeResourceVerification: true,
		},
		TLS:    config.TLS{CAFile: filepath.Join(d, devca.CACertFile)},
		Listen: "127.0.0.1:0",
	}
	if diff := cmp.Diff(want, cfg, cmp.AllowUnexported(config.Duration{})); diff != "" {
		t.Errorf("agent.yaml (-want +got):\n%s", diff)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Errorf("agent.yaml does not validate: %v", err)
	}
	for _, p := range []string{cfg.Fig.ClientSecret.File, cfg.Azure.TokenFile, cfg.TLS.CAFile} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("agent.yaml names a missing file: %v", err)
		}
	}

	// The identity, client and secret follow the seed; the token is minted
	// again for a new subject.
	token, _ := os.ReadFile(f.env.TokenFile)
	if err := f.edit("clientId: "+clientID+"\n    issuer: https://kubernetes.default.svc.cluster.local\n    subject: system:serviceaccount:shop:orders",
		"clientId: 11111111-2222-3333-4444-555555555555\n    issuer: https://kubernetes.default.svc.cluster.local\n    subject: system:serviceaccount:shop:other"); err != nil {
		t.Fatal(err)
	}
	if err := f.edit("secret: "+clientSecret, "secret: 9b2e7c41-0d3a-4f6e-8a1b-5c7d9e2f4a60"); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(f.env.AgentConfigPath)
	if cfg, err = config.Parse(data); err != nil || cfg.Azure.ClientID != "11111111-2222-3333-4444-555555555555" {
		t.Errorf("agent.yaml after the identity edit: clientId %q, %v", cfg.Azure.ClientID, err)
	}
	if now, _ := os.ReadFile(f.env.TokenFile); bytes.Equal(now, token) {
		t.Error("the token was not minted again for the new identity")
	}
	if secret, _ := os.ReadFile(f.env.FigSecretFile); string(secret) != "9b2e7c41-0d3a-4f6e-8a1b-5c7d9e2f4a60\n" {
		t.Errorf("fig-secret after the edit: %q", secret)
	}
}

// Bytes instead of a file, fixed free ports, and the CA kept across restarts.
func TestStartOptions(t *testing.T) {
	dir := t.TempDir()
	seed := []byte(strings.Replace(string(dev.ExampleSeed()), "keyVaults:\n", "keyVaults:\n  - name: second-kv\n", 1))
	env, err := dev.Start(t.Context(), dev.Options{Dir: dir, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if env.SeedFile != "" {
		t.Errorf("SeedFile %q for a seed given as bytes", env.SeedFile)
	}
	if diff := cmp.Diff([]string{"second-kv", vaultName}, env.VaultNames); diff != "" {
		t.Errorf("vault order (-want +got):\n%s", diff)
	}
	ca := env.CA.CertPEM()
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	if err := env.Apply([]byte("nonsense: 1\n")); err == nil {
		t.Error("Apply accepted an unknown field")
	}

	env2, err := dev.Start(context.Background(), dev.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer env2.Close()
	if !bytes.Equal(ca, env2.CA.CertPEM()) {
		t.Error("the CA was not reused from Dir")
	}
	if err := env2.Apply(seed); err == nil || !strings.Contains(err.Error(), `adds vault "second-kv"`) {
		t.Errorf("Apply with a new vault: %v", err)
	}
	if _, err := dev.Start(t.Context(), dev.Options{Dir: t.TempDir(), Seed: []byte("{}")}); err == nil {
		t.Error("Start accepted an empty seed")
	}
}

// The federated token is replaced before it expires.
func TestTokenRefresh(t *testing.T) {
	dir := t.TempDir()
	env, err := dev.Start(t.Context(), dev.Options{Dir: dir, TokenTTL: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	first, err := os.ReadFile(env.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-deadline:
			t.Fatal("token not refreshed within 10s")
		case <-tick.C:
		}
		if now, err := os.ReadFile(env.TokenFile); err == nil && !bytes.Equal(now, first) {
			return
		}
	}
}

// figOnly is a seed with one Fig client, Billing, and nothing else.
const figOnly = "fig:\n  clients:\n    - {name: Billing, secret: " + clientSecret + ", settings: [{name: Currency, value: EUR}]}\n"

// A seed with only a Fig client gives an agent.yaml without Azure; adding an
// identity later writes the token and the azure section.
func TestFigOnlySeed(t *testing.T) {
	env, err := dev.Start(t.Context(), dev.Options{Dir: t.TempDir(), Seed: []byte(figOnly)})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	load := func() *config.Config {
		data, err := os.ReadFile(env.AgentConfigPath)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ApplyDefaults()
		if err := cfg.Validate(); err != nil {
			t.Errorf("agent.yaml does not validate: %v", err)
		}
		return cfg
	}
	if cfg := load(); cfg.Fig.ClientName != "Billing" || cfg.Azure.ClientID != "" || len(cfg.KeyVaults) != 0 {
		t.Errorf("fig-only agent.yaml: %+v", cfg)
	}
	if _, err := os.Stat(env.TokenFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("token written without an identity: %v", err)
	}
	if err := env.Apply([]byte(figOnly + testIdentity)); err != nil {
		t.Fatal(err)
	}
	if cfg := load(); cfg.Azure.ClientID != clientID || cfg.Azure.TokenFile != env.TokenFile {
		t.Errorf("azure after adding an identity: %+v", cfg.Azure)
	}
	if _, err := os.Stat(env.TokenFile); err != nil {
		t.Errorf("no token after adding an identity: %v", err)
	}
}

const testIdentity = "tenantId: " + tenantID + "\nidentities: [{clientId: " + clientID + ", issuer: https://issuer.example, subject: system:serviceaccount:shop:orders}]\n"

// A secret marked forbidden answers the real SDK with Key Vault's RBAC 403,
// naming the caller; unmarking it makes it readable again.
func TestSeedForbiddenSecret(t *testing.T) {
	f := start(t)
	kv := f.secrets()
	if err := f.edit("value: dev-api-key-0001\n", "value: dev-api-key-0001\n        forbidden: true\n"); err != nil {
		t.Fatal(err)
	}
	_, err := kv.GetSecret(t.Context(), "api-key", "", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden || re.ErrorCode != "Forbidden" {
		t.Fatalf("GetSecret of a forbidden secret: %v, want a 403 Forbidden", err)
	}
	if !strings.Contains(err.Error(), "appid="+clientID) || !strings.Contains(err.Error(), "secrets/api-key") {
		t.Errorf("the 403 does not name the caller and the secret: %v", err)
	}
	if err := f.edit("        forbidden: true\n", ""); err != nil {
		t.Fatal(err)
	}
	if got := f.getSecret(kv, "api-key"); got != "dev-api-key-0001" {
		t.Errorf("api-key = %q once no longer forbidden", got)
	}
}
