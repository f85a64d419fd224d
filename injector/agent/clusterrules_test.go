package agent_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

// otherAuthority is another Entra ID authority: the test's dialer routes it
// to the emulated one, whose certificate names it, so only the rules stop a
// token request to it.
const otherAuthority = "login.evil.test"

// rulesFixture is a fixture whose agent notifies an HTTP server on the
// loopback after each change, dials through a recorder that routes
// otherAuthority to the Entra emulator, and runs as the sidecar command
// does: a new agent whenever the configuration file changes to a valid new
// one.
type rulesFixture struct {
	*fixture
	dialLog
	notifyURL *url.URL       // the notification server, http://127.0.0.1:<port>
	mu        sync.Mutex     // guards notified
	notified  map[string]int // requests by path
	restarts  atomic.Int32
	current   atomic.Pointer[agent.Agent] // the agent running now
}

func newRulesFixture(t *testing.T) *rulesFixture {
	t.Helper()
	f := newFixtureWith(t, dev.Options{Seed: dev.ExampleSeed(), SANs: []string{otherAuthority}})
	rf := &rulesFixture{fixture: f, notified: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rf.mu.Lock()
		rf.notified[r.URL.Path]++
		rf.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	must(t, err)
	rf.notifyURL = u
	f.cfg.Notify.HTTP = &config.HTTPNotify{URL: srv.URL + "/reload"}
	return rf
}

// clusterEnv is what the webhook would hand this agent: the emulators'
// Fig API, vaults and authority, the permission to disable challenge
// verification (the emulators need it), and the output's directory.
func (rf *rulesFixture) clusterEnv() func(string) string {
	return envOf(
		config.AllowedFigAPIURIsEnv, rf.env.FigURL,
		config.AllowedKeyVaultSuffixesEnv, "127.0.0.1",
		config.AllowedAzureAuthorityHostEnv, rf.env.EntraURL,
		config.AllowDisableChallengeResourceVerificationEnv, "true",
		config.AllowedOutputDirEnv, filepath.Dir(rf.out),
	)
}

func (rf *rulesFixture) notifications(path string) int {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	return rf.notified[path]
}

// supervise writes the configuration to a file, loads it with getenv and
// runs agents from it until the test ends, restarting on ErrConfigChanged
// with the reloaded configuration (as `fig-injector agent` does). It returns
// the file's path once the first agent has rendered.
func (rf *rulesFixture) supervise(getenv func(string) string) string {
	t := rf.t
	t.Helper()
	path := writeConfig(t, rf.cfg)
	cfg, err := config.Load(path, getenv)
	must(t, err)
	entra, err := url.Parse(rf.env.EntraURL)
	must(t, err)
	opts := rf.options()
	opts.ConfigPath = path
	opts.Reload = func() (*config.Config, error) { return config.Load(path, getenv) }
	opts.Dial = rf.dial(otherAuthority+":443", entra.Host)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for {
			a, err := agent.New(ctx, cfg, opts)
			if err != nil {
				t.Errorf("New: %v", err)
				return
			}
			rf.current.Store(a)
			if err := a.Run(ctx); !errors.Is(err, agent.ErrConfigChanged) {
				if err != nil && ctx.Err() == nil {
					t.Errorf("Run: %v", err)
				}
				return
			}
			rf.current.Store(nil) // ready(n) waits for the next one
			rf.restarts.Add(1)
			if cfg, err = opts.Reload(); err != nil {
				t.Errorf("Reload after ErrConfigChanged: %v", err)
				return
			}
		}
	}()
	rf.eventually("the first render", func() bool { return rf.ready(0) })
	// Run watches the file after the first render, then starts polling:
	// a poll after it says an edit from now on is seen.
	polls := rf.env.Fig.Requests(figapi.RouteStatus)
	rf.eventually("a Fig poll (the file is watched)", func() bool { return rf.env.Fig.Requests(figapi.RouteStatus) > polls })
	return path
}

// ready reports whether the agent started after the given number of
// restarts has rendered.
func (rf *rulesFixture) ready(restarts int32) bool {
	a := rf.current.Load()
	return rf.restarts.Load() == restarts && a != nil && a.Health().Ready()
}

// TestReloadBreakingClusterRulesKeepsTheRunningConfiguration: a ConfigMap
// configuration edited after admission to send the federated token to
// another authority, to notify a server off the pod's loopback, or to write
// an output outside the shared volume is refused on reload when the webhook
// handed over the rules: the error names the field and the fix, the agent
// keeps running on its last good configuration (the file stays until Fig
// changes, then follows Fig where it was), and the new target hears
// nothing. Unrestricted (no variables), the same edit is reloaded and
// reaches its target: only the rules stopped it.
func TestReloadBreakingClusterRulesKeepsTheRunningConfiguration(t *testing.T) {
	tests := []struct {
		name string
		edit func(rf *rulesFixture, c *config.Config)
		// refusal is the logged error (JSON-escaped).
		refusal string
		// reached reports whether the edit's target heard from the agent.
		reached func(rf *rulesFixture) bool
	}{
		{
			name: "authority host",
			edit: func(rf *rulesFixture, c *config.Config) { c.Azure.AuthorityHost = "https://" + otherAuthority + "/" },
			refusal: `azure.authorityHost: \"https://` + otherAuthority + `/\" is not the cluster's authority ` + "%ENTRA%" +
				`; fix: leave azure.authorityHost out (the cluster sets it; the webhook hands its authority to the agent in FIG_INJECTOR_ALLOWED_AZURE_AUTHORITY_HOST)`,
			reached: func(rf *rulesFixture) bool { return rf.dialsTo(otherAuthority) > 0 },
		},
		{
			// 0.0.0.0 reaches the loopback server on Linux, but is not the
			// pod's loopback by the rule.
			name: "notify url",
			edit: func(rf *rulesFixture, c *config.Config) {
				c.Notify.HTTP = &config.HTTPNotify{URL: "http://0.0.0.0:" + rf.notifyURL.Port() + "/elsewhere"}
			},
			refusal: `notify.http.url: \"http://0.0.0.0:%PORT%/elsewhere\" is not on the pod's loopback; fix: use http://127.0.0.1:<port>/<path>`,
			reached: func(rf *rulesFixture) bool { return rf.notifications("/elsewhere") > 0 },
		},
		{
			name:    "output path",
			edit:    func(rf *rulesFixture, c *config.Config) { c.Outputs[0].Path = rf.elsewhere() },
			refusal: `outputs[0].path: \"%ELSEWHERE%\" is outside %DIR%; fix: write every output below %DIR% (the shared volume is mounted there)`,
			reached: func(rf *rulesFixture) bool {
				data, err := os.ReadFile(rf.elsewhere())
				return err == nil && strings.Contains(string(data), "Haarlem")
			},
		},
	}
	for _, tc := range tests {
		for _, restricted := range []bool{true, false} {
			name := tc.name + " refused"
			if !restricted {
				name = tc.name + " unrestricted"
			}
			t.Run(name, func(t *testing.T) {
				rf := newRulesFixture(t)
				getenv := envOf()
				if restricted {
					getenv = rf.clusterEnv()
				}
				path := rf.supervise(getenv)
				before, err := os.ReadFile(rf.out)
				must(t, err)

				cfg, err := config.Load(path, envOf())
				must(t, err)
				tc.edit(rf, cfg)
				data, err := config.Marshal(cfg)
				must(t, err)
				writeFile(t, path, string(data))

				if !restricted {
					// The change must come after the new agent's first render,
					// which notifies nothing.
					rf.eventually("the edit reloaded and rendered", func() bool { return rf.ready(1) })
					must(t, rf.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Haarlem")))
					rf.eventually("the edit's target reached", func() bool { return tc.reached(rf) })
					return
				}
				refusal := strings.NewReplacer("%ENTRA%", rf.env.EntraURL, "%PORT%", rf.notifyURL.Port(),
					"%ELSEWHERE%", rf.elsewhere(), "%DIR%", filepath.Dir(rf.out)).Replace(tc.refusal)
				rf.eventually("the refused reload logged", func() bool { return strings.Contains(rf.logs.String(), refusal) })
				if !strings.Contains(rf.logs.String(), "configuration file changed but is invalid; keeping the running configuration") {
					t.Errorf("the refusal is not logged as a kept configuration:\n%s", rf.logs.String())
				}
				if after, _ := os.ReadFile(rf.out); string(after) != string(before) {
					t.Errorf("the file changed on a refused reload")
				}
				reloads := rf.notifications("/reload")
				must(t, rf.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Haarlem")))
				rf.eventually("Fig's change in the file, and the notification, on the running configuration", func() bool {
					return rf.key("Location") == "Haarlem" && rf.notifications("/reload") > reloads
				})
				if n := rf.restarts.Load(); n != 0 {
					t.Errorf("the agent restarted %d times on a refused reload", n)
				}
				if tc.reached(rf) {
					t.Errorf("the refused edit's target heard from the agent")
				}
				if n := rf.dialsTo(otherAuthority); n != 0 {
					t.Errorf("%d connections to %s", n, otherAuthority)
				}
			})
		}
	}
}

// elsewhere is an output path outside the fixture's output directory.
func (rf *rulesFixture) elsewhere() string {
	return filepath.Join(filepath.Dir(filepath.Dir(rf.out)), "elsewhere.json")
}
