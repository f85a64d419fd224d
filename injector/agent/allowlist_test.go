package agent_test

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/allowlist"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
)

// envOf returns a getenv that knows only the given variables.
func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// writeConfig writes cfg to a file of its own and returns the path.
func writeConfig(t *testing.T, cfg *config.Config) string {
	t.Helper()
	data, err := config.Marshal(cfg)
	must(t, err)
	path := t.TempDir() + "/config.yaml"
	writeFile(t, path, string(data))
	return path
}

// figRequests counts every request the Fig emulator received.
func figRequests(f *fixture) int {
	n := 0
	for _, r := range []string{figapi.RouteHealth, figapi.RouteCapabilities, figapi.RouteRegister, figapi.RouteDescription, figapi.RouteSettings, figapi.RouteStatus} {
		n += f.env.Fig.Requests(r)
	}
	return n
}

// TestConfigWithDisallowedFigURIIsRejected: with the webhook's allowlists in
// the environment, a configuration naming a Fig API outside them does not
// load (the error names the field, the URI, why and the fix), an agent is
// not built from it, and the Fig API named never hears from the agent.
func TestConfigWithDisallowedFigURIIsRejected(t *testing.T) {
	f := newFixture(t)
	path := writeConfig(t, f.cfg)
	getenv := envOf(config.AllowedFigAPIURIsEnv, "https://fig-api.fig.svc:8080", config.AllowedKeyVaultSuffixesEnv, "127.0.0.1")

	_, err := config.Load(path, getenv)
	want := `fig.apiUri: "` + f.env.FigURL + `" is not allowed in this cluster: it is not in the allowlist (https://fig-api.fig.svc:8080); fix: use an allowed Fig API URI, or ask the cluster admin to add it to the chart's allowlists.figUris`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Load = %v\nwant an error containing %q", err, want)
	}

	// A configuration that did not come through Load is held to its
	// allowlist when the agent is built.
	cfg := *f.cfg
	cfg.Allowlist = &config.Allowlist{List: allowlist.FromEntries([]string{"https://fig-api.fig.svc:8080"}, []string{"127.0.0.1"})}
	if _, err := agent.New(context.Background(), &cfg, f.options()); err == nil || !strings.Contains(err.Error(), `fig.apiUri: "`+f.env.FigURL+`" is not allowed`) {
		t.Errorf("New = %v, want fig.apiUri refused", err)
	}
	if n := figRequests(f); n != 0 {
		t.Errorf("the refused Fig API received %d requests", n)
	}

	// The same file loads and renders when the allowlist names the URI.
	allowed := envOf(config.AllowedFigAPIURIsEnv, f.env.FigURL, config.AllowedKeyVaultSuffixesEnv, "127.0.0.1")
	cfg2, err := config.Load(path, allowed)
	must(t, err)
	a, err := agent.New(context.Background(), cfg2, f.options())
	must(t, err)
	must(t, a.RenderOnce(context.Background()))
	if got := f.key("PaymentApiKey"); got != "dev-api-key-0001" {
		t.Errorf("PaymentApiKey = %q with the allowlist naming the emulators", got)
	}
}

// TestReloadToDisallowedFigURIKeepsTheRunningConfiguration: a ConfigMap
// configuration edited after admission to point at another Fig API is
// refused on reload: the error is logged with the field, the agent keeps
// running on its last good configuration (the file keeps following Fig),
// and nothing is reloaded. With the URI allowed, the same edit reloads.
func TestReloadToDisallowedFigURIKeepsTheRunningConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allowed bool
	}{{"refused", false}, {"allowed", true}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			u, err := url.Parse(f.env.FigURL)
			must(t, err)
			elsewhere := "https://localhost:" + u.Port() // the same emulator under another name: only the allowlist tells them apart
			figAllow := f.env.FigURL
			if tc.allowed {
				figAllow += "," + elsewhere
			}
			getenv := envOf(config.AllowedFigAPIURIsEnv, figAllow, config.AllowedKeyVaultSuffixesEnv, "127.0.0.1")
			path := writeConfig(t, f.cfg)
			cfg, err := config.Load(path, getenv)
			must(t, err)
			opts := f.options()
			opts.ConfigPath = path
			opts.Reload = func() (*config.Config, error) { return config.Load(path, getenv) }
			a, err := agent.New(context.Background(), cfg, opts)
			must(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			f.awaitRunning(a)
			before, err := os.ReadFile(f.out)
			must(t, err)

			edited, fig := *cfg, *cfg.Fig
			fig.APIURI = elsewhere
			edited.Fig = &fig
			data, err := config.Marshal(&edited)
			must(t, err)
			writeFile(t, path, string(data))

			if tc.allowed {
				select {
				case err := <-done:
					if !errors.Is(err, agent.ErrConfigChanged) {
						t.Fatalf("Run = %v, want ErrConfigChanged", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("an allowed edit did not reload the configuration")
				}
				return
			}
			f.eventually("the refused reload logged", func() bool {
				return strings.Contains(f.logs.String(), "configuration file changed but is invalid; keeping the running configuration")
			})
			logs := f.logs.String()
			for _, want := range []string{`fig.apiUri: \"` + elsewhere + `\" is not allowed in this cluster`, "allowlists.figUris"} {
				if !strings.Contains(logs, want) {
					t.Errorf("the log does not contain %s", want)
				}
			}
			if after, _ := os.ReadFile(f.out); string(after) != string(before) {
				t.Errorf("the file changed on a refused reload")
			}
			must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Haarlem")))
			f.eventually("Fig changes after the refused reload", func() bool { return f.key("Location") == "Haarlem" })
			select {
			case err := <-done:
				t.Fatalf("Run returned %v after a refused reload", err)
			default:
			}
		})
	}
}

// otherVault is a second emulated vault, outside the fixture's agent
// configuration, that the tests below reference from a Fig value.
const (
	otherVault  = "other-kv"
	otherSecret = "other-api-key-0002"
	// otherHost reaches the other vault through the test's dialer; the
	// emulators' certificate names it, so only the allowlist stops a request.
	otherHost = "other-kv.vault.evil.test"
)

// refFixture is a fixture with the other vault, a dialer that routes
// otherHost:443 to it and records every address dialled, and the agent
// configuration reading only orders-kv.
type refFixture struct {
	*fixture
	dialLog
	other *keyvault.Server
}

func newRefFixture(t *testing.T) *refFixture {
	t.Helper()
	seed := strings.Replace(string(dev.ExampleSeed()), "\nidentities:", "\n  - name: "+otherVault+"\n    secrets:\n      - name: api-key\n        value: "+otherSecret+"\nidentities:", 1)
	f := newFixtureWith(t, dev.Options{Seed: []byte(seed), SANs: []string{otherHost}})
	f.cfg.KeyVaults = slices.DeleteFunc(f.cfg.KeyVaults, func(kv config.KeyVault) bool { return kv.Name == otherVault })
	f.cfg.Azure.KeyVaultDNSSuffix = "vault.evil.test"
	rf := &refFixture{fixture: f, other: f.env.Vaults[otherVault]}
	if rf.other == nil || len(f.cfg.KeyVaults) != 1 {
		t.Fatalf("seed: vaults %v", f.env.VaultNames)
	}
	t.Cleanup(func() {
		if strings.Contains(f.logs.String(), otherSecret) {
			t.Errorf("the other vault's secret appears in the agent's logs")
		}
	})
	return rf
}

func (rf *refFixture) options() agent.Options {
	u, err := url.Parse(rf.env.VaultURLs[otherVault])
	must(rf.t, err)
	opts := rf.fixture.options()
	opts.Dial = rf.dial(otherHost+":443", u.Host)
	return opts
}

// otherContacts counts what reached the other vault: requests on every
// route, challenges, and connections dialled to its name.
func (rf *refFixture) otherContacts() int {
	n := rf.other.Challenges()
	for _, r := range []string{keyvault.RouteGet, keyvault.RouteList, keyvault.RouteVersions} {
		n += rf.other.Requests(r)
	}
	return n + rf.dialsTo(otherHost)
}

// allowOnly sets the webhook's allowlists as the agent would read them:
// the emulators' Fig API and vaults on 127.0.0.1, nothing else.
func (rf *refFixture) allowOnly() {
	rf.cfg.Allowlist = &config.Allowlist{List: allowlist.FromEntries([]string{rf.env.FigURL}, []string{"127.0.0.1"})}
}

// TestFigValueReferencingDisallowedVaultIsNotFetched: a Key Vault reference
// in a Fig value whose vault is outside the allowed suffixes is refused
// before anything is sent to the vault (no connection, no challenge, no
// request), and reported, naming the setting and the vault host but not the
// secret. The key stays unresolved, so the first render fails at once
// instead of retrying until initTimeout. Without the allowlist the same
// reference is fetched from the same emulator: only the allowlist stopped it.
func TestFigValueReferencingDisallowedVaultIsNotFetched(t *testing.T) {
	for _, tc := range []struct{ name, ref string }{
		{"SecretUri", "@Microsoft.KeyVault(SecretUri=https://" + otherHost + "/secrets/api-key)"},
		{"VaultName", "@Microsoft.KeyVault(VaultName=" + otherVault + ";SecretName=api-key)"},
	} {
		t.Run(tc.name+" unrestricted", func(t *testing.T) {
			rf := newRefFixture(t)
			must(t, rf.env.Fig.SetValue("OrderService", "", "PaymentApiKey", figapi.String(tc.ref)))
			a, err := agent.New(context.Background(), rf.cfg, rf.options())
			must(t, err)
			must(t, a.RenderOnce(context.Background()))
			if got := rf.key("PaymentApiKey"); got != otherSecret {
				t.Errorf("PaymentApiKey = %q, want the other vault's secret", got)
			}
			if rf.otherContacts() == 0 {
				t.Error("the other vault was not contacted without an allowlist; the test proves nothing")
			}
		})
		t.Run(tc.name+" refused", func(t *testing.T) {
			rf := newRefFixture(t)
			rf.allowOnly()
			must(t, rf.env.Fig.SetValue("OrderService", "", "PaymentApiKey", figapi.String(tc.ref)))
			a, err := agent.New(context.Background(), rf.cfg, rf.options())
			must(t, err)
			start := time.Now()
			err = a.RenderOnce(context.Background())
			if err == nil {
				t.Fatal("RenderOnce succeeded with a reference to a vault outside the allowlist")
			}
			msg := err.Error()
			want := "setting PaymentApiKey from Fig references vault https://" + otherHost + "/, which is not allowed in this cluster: it is not under an allowed Key Vault DNS suffix (127.0.0.1); fix: point the setting in Fig at a secret in an allowed vault"
			if !strings.Contains(msg, want) {
				t.Errorf("error %q\ndoes not contain %q", msg, want)
			}
			if strings.Contains(msg, "api-key") || strings.Contains(msg, "gave up after") {
				t.Errorf("error %q names the secret or waited for initTimeout", msg)
			}
			if d := time.Since(start); d > rf.cfg.InitTimeout.D()/2 {
				t.Errorf("RenderOnce took %s: a refused reference cannot resolve by waiting", d)
			}
			if !strings.Contains(rf.logs.String(), `"msg":"Key Vault reference refused: its vault is not in the cluster's allowlist, and the setting stays unresolved","key":"PaymentApiKey","vault":"https://`+otherHost+`/"`) {
				t.Errorf("the refusal is not logged with its key and vault:\n%s", rf.logs.String())
			}
			if n := rf.otherContacts(); n != 0 {
				t.Errorf("the refused vault was contacted %d times", n)
			}
			if rf.env.Vaults["orders-kv"].Requests(keyvault.RouteGet) == 0 {
				t.Error("the allowed vault was not read: the agent did not get as far as the references")
			}
			if _, err := os.Stat(rf.out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a render with an unresolved key wrote the file (stat: %v)", err)
			}
		})
	}
}

// TestSidecarRefusesAReferenceToADisallowedVault: a Fig value changed at run
// time to reference a vault outside the allowlist is logged and never
// fetched; the last good file stays until the setting is corrected in Fig,
// and then the file follows again.
func TestSidecarRefusesAReferenceToADisallowedVault(t *testing.T) {
	rf := newRefFixture(t)
	rf.allowOnly()
	rf.start(rf.options())
	before, err := os.ReadFile(rf.out)
	must(t, err)

	ref := "@Microsoft.KeyVault(SecretUri=https://" + otherHost + "/secrets/api-key)"
	must(t, rf.env.Fig.SetValues("OrderService", "", map[string]figapi.Value{"PaymentApiKey": figapi.String(ref), "Location": figapi.String("Alkmaar")}))
	rf.eventually("the refusal logged", func() bool { return strings.Contains(rf.logs.String(), "Key Vault reference refused") })
	statuses := rf.env.Fig.Requests(figapi.RouteStatus)
	rf.eventually("two more Fig polls", func() bool { return rf.env.Fig.Requests(figapi.RouteStatus) >= statuses+2 })
	if n := rf.otherContacts(); n != 0 {
		t.Errorf("the refused vault was contacted %d times", n)
	}
	if after, _ := os.ReadFile(rf.out); string(after) != string(before) {
		t.Errorf("the file changed although a key is unresolved:\n%s", after)
	}
	logs := rf.logs.String()
	for _, want := range []string{"render failed; the last good file stays", "setting PaymentApiKey from Fig references vault https://" + otherHost + "/, which is not allowed"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not contain %q", want)
		}
	}

	must(t, rf.env.Fig.SetValue("OrderService", "", "PaymentApiKey", figapi.String("@Microsoft.KeyVault(VaultName=orders-kv;SecretName=api-key)")))
	rf.eventually("the corrected setting and the held-back change in the file", func() bool {
		return rf.key("Location") == "Alkmaar" && rf.key("PaymentApiKey") == "dev-api-key-0001"
	})
	if n := rf.otherContacts(); n != 0 {
		t.Errorf("the refused vault was contacted %d times", n)
	}
}
