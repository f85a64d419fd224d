package agent_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	kvemu "github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/source"
)

func TestInitRenderMergesFigAndKeyVault(t *testing.T) {
	f := newFixture(t)
	a, err := agent.New(context.Background(), f.cfg, f.options())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RenderOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Location":                 "Amsterdam",                                                                           // Fig string
		"RetryCount":               "3",                                                                                   // Fig int, .NET text
		"EnableDiscounts":          "True",                                                                                // Fig bool, .NET text
		"RequestTimeout":           "00:00:30",                                                                            // Fig timespan
		"Database:Host":            "orders-db.shop.svc",                                                                  // nested ->
		"Host":                     "orders-db.shop.svc",                                                                  // simplified key
		"Shipping:Carrier":         "PostNL",                                                                              // JSON setting flattened
		"FigSettingLoadType":       "Server",                                                                              // Fig.Client metadata
		"PaymentApiKey":            "dev-api-key-0001",                                                                    // @Microsoft.KeyVault reference resolved
		"ConnectionStrings:Orders": "Server=orders-db.shop.svc;Database=orders;User Id=orders;Password=dev-only-password", // prefix secret
	}
	for k, v := range want {
		if got := f.key(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	grid, _ := f.file()["Warehouses"].([]any)
	if len(grid) != 2 {
		t.Errorf("Warehouses = %v, want a two-row array", f.file()["Warehouses"])
	}
	info, err := os.Stat(f.out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o440 {
		t.Errorf("output mode = %v, want 0440", info.Mode().Perm())
	}
}

// TestFirstStatusIsAcceptedForAClientWithPastChanges is the first status of
// a client in real use (a value changed before the agent started): Fig
// rejects a DateTime.MinValue cursor with 400 and rolls the run session back,
// so the agent must send its start time, as Fig.Client does, and an
// init-only agent must show in Fig.
func TestFirstStatusIsAcceptedForAClientWithPastChanges(t *testing.T) {
	f := newFixture(t)
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Rotterdam")))
	started := time.Now().UTC()
	a, err := agent.New(context.Background(), f.cfg, f.options())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RenderOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(f.logs.String(), "first Fig status failed") {
		t.Errorf("Fig rejected the first status:\n%s", f.logs.String())
	}
	sessions := f.env.Fig.RunSessions("OrderService")
	if len(sessions) != 1 {
		t.Fatalf("Fig sees %d run sessions of the init agent, want 1", len(sessions))
	}
	if cursor := sessions[0].LastSettingUpdate; cursor.Before(started.Add(-time.Second)) {
		t.Errorf("first status cursor = %v, want the agent's start (about %v)", cursor, started)
	}
	if got := f.key("Location"); got != "Rotterdam" {
		t.Errorf("Location = %q, want Rotterdam", got)
	}
}

func TestInitFailsWithOneLineNamingSourceCauseAndFix(t *testing.T) {
	f := newFixture(t)
	writeFile(t, f.cfg.Fig.ClientSecret.File, "a-wrong-secret-that-is-long-enough-0123456789\n")
	f.cfg.InitTimeout = config.Dur(time.Second)
	a, err := agent.New(context.Background(), f.cfg, f.options())
	if err != nil {
		t.Fatal(err)
	}
	err = a.RenderOnce(context.Background())
	if err == nil {
		t.Fatal("RenderOnce succeeded with a wrong client secret")
	}
	msg := err.Error()
	for _, want := range []string{"fig", "401", "fix:", "gave up after 1s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans several lines: %q", msg)
	}
	if _, err := os.Stat(f.out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed init wrote the output (stat: %v)", err)
	}
}

func TestSidecarFollowsFigAndKeyVaultChanges(t *testing.T) {
	f := newFixture(t)
	f.start(f.options())

	if err := f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Utrecht")); err != nil {
		t.Fatal(err)
	}
	f.eventually("the Fig change in the file", func() bool { return f.key("Location") == "Utrecht" })

	if _, err := f.env.Vaults["orders-kv"].SetSecret("api-key", "rotated-api-key-0002"); err != nil {
		t.Fatal(err)
	}
	f.eventually("the referenced secret's new version in the file", func() bool { return f.key("PaymentApiKey") == "rotated-api-key-0002" })

	if _, err := f.env.Vaults["orders-kv"].SetSecret("OrderService--Feature--Flag", "on"); err != nil {
		t.Fatal(err)
	}
	f.eventually("a new prefix secret in the file", func() bool { return f.key("Feature:Flag") == "on" })
}

func TestFigDownKeepsTheLastGoodFileAndRecovers(t *testing.T) {
	f := newFixture(t)
	f.start(f.options())
	before, err := os.ReadFile(f.out)
	if err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{figapi.RouteStatus, figapi.RouteSettings} {
		f.env.Fig.Inject(route, figapi.Fault{Status: http.StatusServiceUnavailable})
	}
	if err := f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Delft")); err != nil {
		t.Fatal(err)
	}
	statuses := f.env.Fig.Requests(figapi.RouteStatus)
	f.eventually("two failed Fig polls", func() bool { return f.env.Fig.Requests(figapi.RouteStatus) >= statuses+2 })
	if after, _ := os.ReadFile(f.out); string(after) != string(before) {
		t.Fatalf("the file changed while Fig was down:\n%s", after)
	}
	f.env.Fig.ClearFaults()
	f.eventually("recovery after Fig returns", func() bool { return f.key("Location") == "Delft" })
}

// TestFigRetryAfterIsHonoured steps the clock: a settings fetch answered
// 429 with Retry-After: 2 is repeated exactly two seconds later, not a
// nanosecond sooner, although the Fig poll interval is one second.
func TestFigRetryAfterIsHonoured(t *testing.T) {
	f := newSteppedFixture(t, dev.Options{Seed: dev.ExampleSeed()})
	f.startStepped(f.steppedOptions())
	f.env.Fig.Inject(figapi.RouteSettings, figapi.Fault{Status: http.StatusTooManyRequests, RetryAfter: "2", Times: 1})
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Leiden")))
	fetches := f.env.Fig.Requests(figapi.RouteSettings)

	f.clock.Add(halfPoll) // Fig says a change is there; the fetch gets 429
	f.awaitTimers(time.Second, 2*time.Second)
	if n := f.env.Fig.Requests(figapi.RouteSettings) - fetches; n != 1 {
		t.Fatalf("%d settings fetches at the poll, want the one throttled", n)
	}
	f.clock.Add(time.Second) // the vault poll
	f.awaitTimers(time.Second, time.Second)
	f.clock.Add(time.Second - time.Nanosecond)
	f.awaitTimers(time.Nanosecond, time.Nanosecond)
	if n := f.env.Fig.Requests(figapi.RouteSettings) - fetches; n != 1 {
		t.Errorf("settings fetched again %s after a Retry-After: 2", 2*time.Second-time.Nanosecond)
	}
	f.clock.Add(time.Nanosecond)
	f.awaitTimers(window, time.Second, time.Second)
	f.clock.Add(window)
	f.eventually("the change after Retry-After", func() bool { return f.key("Location") == "Leiden" })
	if n := f.env.Fig.Requests(figapi.RouteSettings) - fetches; n != 2 {
		t.Errorf("%d settings fetches, want the throttled one and one after Retry-After", n)
	}
}

// TestKeyVaultRetryAfterIsHonoured steps the clock: a vault that answers
// 429 with a Retry-After longer than the SDK waits itself (60 s) is asked
// again exactly then, although its poll interval is one second.
func TestKeyVaultRetryAfterIsHonoured(t *testing.T) {
	f := newSteppedFixture(t, dev.Options{Seed: dev.ExampleSeed()})
	f.cfg.Fig.PollInterval = config.Dur(30 * time.Second) // Fig's polls stay out of the way
	f.start(f.steppedOptions())
	f.awaitTimers(time.Second, 30*time.Second) // the vault poll, the Fig poll
	vault := f.env.Vaults["orders-kv"]
	vault.Inject(kvemu.RouteList, kvemu.Fault{Status: http.StatusTooManyRequests, RetryAfter: 90 * time.Second, Times: 1})
	lists := vault.Requests(kvemu.RouteList)

	f.clock.Add(time.Second) // the poll gets 429
	f.awaitTimers(29*time.Second, 90*time.Second)
	f.clock.Add(29 * time.Second) // Fig polls
	f.awaitTimers(30*time.Second, 61*time.Second)
	f.clock.Add(30 * time.Second)
	f.awaitTimers(30*time.Second, 31*time.Second)
	f.clock.Add(30 * time.Second)
	f.awaitTimers(time.Second, 30*time.Second)
	f.clock.Add(time.Second - time.Nanosecond)
	f.awaitTimers(time.Nanosecond, 29*time.Second+time.Nanosecond)
	if n := vault.Requests(kvemu.RouteList) - lists; n != 1 {
		t.Fatalf("%d lists before Retry-After: 90 passed, want the throttled one", n)
	}
	f.clock.Add(time.Nanosecond) // 90 s after the 429
	f.awaitTimers(time.Second, 29*time.Second)
	if n := vault.Requests(kvemu.RouteList) - lists; n != 2 {
		t.Errorf("%d lists, want the throttled one and one after Retry-After", n)
	}
}

func TestDeletedOrEditedOutputIsRestored(t *testing.T) {
	f := newFixture(t)
	f.start(f.options())
	want, err := os.ReadFile(f.out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(f.out); err != nil {
		t.Fatal(err)
	}
	f.eventually("the deleted file restored", func() bool {
		got, err := os.ReadFile(f.out)
		return err == nil && string(got) == string(want)
	})
	if err := os.Chmod(f.out, 0o640); err != nil {
		t.Fatal(err)
	}
	writeFile(t, f.out, `{"tampered": "yes"}`)
	f.eventually("the edited file restored", func() bool {
		got, err := os.ReadFile(f.out)
		return err == nil && string(got) == string(want)
	})
}

// TestABurstOfChangesGivesOneWriteAndOneNotification steps the clock:
// several Fig values changed together reach the agent in one fetch and give
// one write and one notification.
func TestABurstOfChangesGivesOneWriteAndOneNotification(t *testing.T) {
	f := newSteppedFixture(t, dev.Options{Seed: dev.ExampleSeed()})
	writes, posts := f.startCounted()
	values := map[string]figapi.Value{}
	for _, k := range []string{"Location", "Database->Host"} {
		values[k] = figapi.String("burst-" + k)
	}
	values["RetryCount"] = figapi.Int(9)
	must(t, f.env.Fig.SetValues("OrderService", "", values))

	f.clock.Add(halfPoll)
	f.awaitTimers(window, time.Second, time.Second)
	f.clock.Add(window)
	f.eventually("the burst in the file", func() bool { return f.key("RetryCount") == "9" && posts.Load() == 1 })
	f.assertOneMorePollChangesNothing(writes, posts)
}

// TestFigAndKeyVaultChangesInOneWindowGiveOneWrite steps the clock: a Fig
// change and a Key Vault change detected at the same poll reach the run loop
// within one coalescing window, and give one write and one notification.
func TestFigAndKeyVaultChangesInOneWindowGiveOneWrite(t *testing.T) {
	f := newSteppedFixture(t, dev.Options{Seed: dev.ExampleSeed()})
	writes, posts := f.startCounted()
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Haarlem")))
	_, err := f.env.Vaults["orders-kv"].SetSecret("api-key", "rotated-api-key-0003")
	must(t, err)

	f.clock.Add(halfPoll) // both polls see their change
	// Both pollers have sent their change and wait again; the first change
	// opened the window, which is still open.
	f.awaitTimers(window, time.Second, time.Second)
	if n := writes.Load(); n != 0 {
		t.Fatalf("%d writes before the coalescing window closed", n)
	}
	f.clock.Add(window)
	f.eventually("both changes in the file", func() bool {
		return f.key("Location") == "Haarlem" && f.key("PaymentApiKey") == "rotated-api-key-0003" && posts.Load() == 1
	})
	f.assertOneMorePollChangesNothing(writes, posts)
}

// startCounted starts the agent stepped (startStepped), counting from then
// on the writes that change a file and the notifications the application
// gets.
func (f *fixture) startCounted() (writes, posts *atomic.Int32) {
	posts = notifyTarget(f.t, f.cfg)
	opts := f.steppedOptions()
	writes = countWrites(&opts)
	f.startStepped(opts)
	writes.Store(0)
	return writes, posts
}

// assertOneMorePollChangesNothing lets one more poll of Fig and of the
// vault pass (the clock just past a coalescing window) and checks that the
// change gave one write and one notification.
func (f *fixture) assertOneMorePollChangesNothing(writes, posts *atomic.Int32) {
	f.t.Helper()
	f.clock.Add(time.Second - window)
	f.awaitTimers(time.Second, time.Second)
	if w, p := writes.Load(), posts.Load(); w != 1 || p != 1 {
		f.t.Errorf("the change gave %d writes and %d notifications, want 1 and 1", w, p)
	}
}

// notifyTarget points cfg's notification at an application that counts
// the notifications it gets.
func notifyTarget(t *testing.T, cfg *config.Config) *atomic.Int32 {
	var posts atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { posts.Add(1) }))
	t.Cleanup(app.Close)
	cfg.Notify.HTTP = &config.HTTPNotify{URL: app.URL + "/reload"}
	return &posts
}

// countWrites counts the writes through opts that changed a file.
func countWrites(opts *agent.Options) *atomic.Int32 {
	var writes atomic.Int32
	opts.Write = func(path string, data []byte, mode fs.FileMode) (bool, error) {
		changed, err := output.Write(path, data, mode)
		if changed {
			writes.Add(1)
		}
		return changed, err
	}
	return &writes
}

func TestFullDiskKeepsTheOldFileAndRecovers(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	full := fillDisk(&opts)
	f.start(opts)
	before, _ := os.ReadFile(f.out)
	full.Store(true)
	if err := f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Gouda")); err != nil {
		t.Fatal(err)
	}
	f.eventually("the failed write logged", func() bool { return strings.Contains(f.logs.String(), "no space left on device") })
	if after, _ := os.ReadFile(f.out); string(after) != string(before) {
		t.Fatal("the file changed although every write failed")
	}
	full.Store(false) // no further change arrives: the agent retries on its own
	f.eventually("recovery when space returns", func() bool { return f.key("Location") == "Gouda" })
}

func TestConfigSwapThroughDataSymlinkReloads(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	first, err := config.Marshal(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir+"/..2026_11_25_00_00_00.1/config.yaml", string(first))
	must(t, os.Symlink("..2026_11_25_00_00_00.1", dir+"/..data"))
	must(t, os.Symlink("..data/config.yaml", dir+"/config.yaml"))
	opts := f.options()
	opts.ConfigPath = dir + "/config.yaml"
	opts.Reload = func() (*config.Config, error) { return config.Load(opts.ConfigPath, func(string) string { return "" }) }
	a, err := agent.New(context.Background(), f.cfg, opts)
	must(t, err)
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	f.awaitRunning(a)

	changed := *f.cfg
	changed.Outputs = []config.Output{{Path: f.out, Format: "yaml", Mode: "0440"}}
	second, err := config.Marshal(&changed)
	must(t, err)
	// Kubernetes' AtomicWriter: a new timestamped dir, then ..data swapped by rename.
	writeFile(t, dir+"/..2026_11_25_00_00_01.2/config.yaml", string(second))
	must(t, os.Symlink("..2026_11_25_00_00_01.2", dir+"/..data_tmp"))
	must(t, os.Rename(dir+"/..data_tmp", dir+"/..data"))
	select {
	case err := <-done:
		if !errors.Is(err, agent.ErrConfigChanged) {
			t.Fatalf("Run = %v, want ErrConfigChanged", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the ..data swap did not reload the configuration")
	}
}

func TestSourceErrorsCarryRetryAfter(t *testing.T) {
	err := &source.Error{Source: "fig", Temporary: true, RetryAfter: 120 * time.Second}
	if got := source.RetryAfter(agent.OneLine(errors.Join(errors.New("x"), err))); got != 120*time.Second {
		t.Errorf("RetryAfter through OneLine(Join) = %s, want 120s", got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestFigRestartWithoutRestartActionIsNotOffered: with no fig.restart the
// agent tells Fig it cannot restart the app (SupportsRestart false), and a
// restart requested anyway (through the API) is not mistaken for a reload.
func TestFigRestartWithoutRestartActionIsNotOffered(t *testing.T) {
	f := newFixture(t)
	posts := notifyTarget(t, f.cfg)
	f.start(f.options())
	sessions := f.env.Fig.RunSessions("OrderService")
	if len(sessions) != 1 || sessions[0].SupportsRestart {
		t.Fatalf("Fig sees sessions %+v, want one that does not support restart", sessions)
	}
	before := posts.Load()
	must(t, f.env.Fig.RequestRestart(sessions[0].ID))
	statuses := f.env.Fig.Requests(figapi.RouteStatus)
	f.eventually("two more Fig polls", func() bool { return f.env.Fig.Requests(figapi.RouteStatus) >= statuses+2 })
	if n := posts.Load() - before; n != 0 {
		t.Errorf("a restart request sent %d reload notifications, want none", n)
	}
	if got := f.env.Fig.RunSessions("OrderService"); len(got) != 1 {
		t.Errorf("Fig sees %d run sessions, want the one (nothing restarted)", len(got))
	}
}

func TestFigSeesTheAgentsHealthAndSecretVersions(t *testing.T) {
	f := newFixture(t)
	f.start(f.options())
	statuses := f.env.Fig.Requests(figapi.RouteStatus)
	f.eventually("a status after the first render", func() bool { return f.env.Fig.Requests(figapi.RouteStatus) > statuses })
	s := f.env.Fig.RunSessions("OrderService")[0]
	if s.Health == nil || len(s.Health.Components) < 3 {
		t.Fatalf("Fig got health %+v, want components for Fig, the vault and the output", s.Health)
	}
	body := string(s.LastStatus)
	for _, want := range []string{`"Name":"PaymentApiKey"`, `"Name":"ConnectionStrings:Orders"`, "Key Vault secret api-key", "version ", `"LastSettingUpdate":"20`} {
		if !strings.Contains(body, want) {
			t.Errorf("status body lacks %s:\n%s", want, body)
		}
	}
	for _, secretValue := range seededSecrets {
		if strings.Contains(body, secretValue) {
			t.Errorf("status body carries a secret value")
		}
	}
}

func TestUnregisteredClientIsRegisteredFromTheDeclaration(t *testing.T) {
	f := newFixture(t)
	declaration := t.TempDir() + "/settings.yaml"
	writeFile(t, declaration, `
description: Inventory service
settings:
  - name: Warehouse
    type: string
    default: Rotterdam
    description: Where stock lives
  - name: Limits->MaxItems
    type: int
    default: 250
    description: Items per order
  - name: ApiKey
    type: string
    secret: true
    default: "@Microsoft.KeyVault(VaultName=orders-kv;SecretName=api-key)"
    description: Lives in Key Vault
`)
	f.cfg.Fig.ClientName = "Inventory"
	f.cfg.Fig.Register = declaration
	a, err := agent.New(context.Background(), f.cfg, f.options())
	must(t, err)
	must(t, a.RenderOnce(context.Background()))
	for k, v := range map[string]string{"Warehouse": "Rotterdam", "Limits:MaxItems": "250", "MaxItems": "250", "ApiKey": "dev-api-key-0001"} {
		if got := f.key(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	reg, ok := f.env.Fig.Registration("Inventory")
	if !ok {
		t.Fatal("Fig received no registration")
	}
	if !strings.HasPrefix(string(reg.Raw), `{"$type":"Fig.Contracts.SettingDefinitions.SettingsClientDefinitionDataContract, Fig.Contracts"`) {
		t.Errorf("registration body does not start with its $type: %.120s", reg.Raw)
	}
}

func TestClassicSidecarStartsFromTheInitHandover(t *testing.T) {
	f := newSteppedFixture(t, dev.Options{Seed: dev.ExampleSeed()}) // no poll before the checks
	stateDir := t.TempDir() + "/.fig-injector"
	f.cfg.KeyVaults[0].PollInterval = config.Dur(time.Hour) // only the start-up may read the vault
	opts := f.options()
	opts.StateDir = stateDir
	init, err := agent.New(context.Background(), f.cfg, opts)
	must(t, err)
	must(t, init.RenderOnce(context.Background()))
	must(t, init.SaveHandover(stateDir))
	info, err := os.Stat(stateDir + "/handover.json")
	must(t, err)
	if info.Mode().Perm() != 0o400 {
		t.Errorf("handover mode = %v, want 0400 (it holds secrets)", info.Mode().Perm())
	}
	settings := f.env.Fig.Requests(figapi.RouteSettings)
	gets := f.env.Vaults["orders-kv"].Requests("get")
	f.start(opts)
	if n := f.env.Fig.Requests(figapi.RouteSettings) - settings; n != 0 {
		t.Errorf("the sidecar fetched Fig settings %d times after the handover, want 0", n)
	}
	if n := f.env.Vaults["orders-kv"].Requests("get") - gets; n != 0 {
		t.Errorf("the sidecar GOT %d secrets after the handover, want 0", n)
	}
	if _, err := os.Stat(stateDir + "/handover.json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the handover is still on the volume after the sidecar read it (stat: %v)", err)
	}
	f.clock.Add(halfPoll) // a change comes after the init's fetch, as in real time
	f.clock.AutoAdvance(t, 5*time.Millisecond, 50*time.Millisecond)
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Zwolle")))
	f.eventually("changes after the handover", func() bool { return f.key("Location") == "Zwolle" })
}

// fillDisk makes opts' writes fail with ENOSPC while the returned flag is
// set, as on a full volume.
func fillDisk(opts *agent.Options) *atomic.Bool {
	var full atomic.Bool
	opts.Write = func(path string, data []byte, mode fs.FileMode) (bool, error) {
		if full.Load() {
			return false, &fs.PathError{Op: "write", Path: path, Err: errors.New("no space left on device")}
		}
		return output.Write(path, data, mode)
	}
	return &full
}
