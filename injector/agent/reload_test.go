package agent_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

// reloadFixture runs an agent on a configuration file it watches, with a
// Reload that counts how often the file is read.
type reloadFixture struct {
	*fixture
	path  string
	reads atomic.Int32
	agent *agent.Agent
	done  chan error
}

func newReloadFixture(t *testing.T) *reloadFixture {
	t.Helper()
	rf := &reloadFixture{fixture: newFixture(t), done: make(chan error, 1)}
	rf.path = writeConfig(t, rf.cfg)
	opts := rf.options()
	opts.ConfigPath = rf.path
	opts.Reload = func() (*config.Config, error) {
		rf.reads.Add(1)
		return config.Load(rf.path, envOf())
	}
	cfg, err := config.Load(rf.path, envOf())
	must(t, err)
	rf.agent, err = agent.New(context.Background(), cfg, opts)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { rf.done <- rf.agent.Run(ctx) }()
	rf.awaitRunning(rf.agent)
	return rf
}

// edit rewrites the configuration file with change applied.
func (rf *reloadFixture) edit(change func(c *config.Config)) {
	rf.t.Helper()
	cfg, err := config.Load(rf.path, envOf())
	must(rf.t, err)
	change(cfg)
	data, err := config.Marshal(cfg)
	must(rf.t, err)
	writeFile(rf.t, rf.path, string(data))
}

// TestReloadThatValidatesButCannotBuildKeepsTheRunningConfiguration: an
// edit that config.Validate accepts but that building the agent rejects
// used to stop the sidecar (Run returned ErrConfigChanged, then New failed
// and the process exited: CrashLoopBackOff). Now the new agent is built
// before anything stops: the error is logged with the field, the running
// agent keeps following Fig, and Run does not return.
func TestReloadThatValidatesButCannotBuildKeepsTheRunningConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(t *testing.T, c *config.Config)
		field string
	}{
		{"template that does not parse", func(t *testing.T, c *config.Config) {
			tmpl := t.TempDir() + "/bad.tmpl"
			writeFile(t, tmpl, "{{ .Missing ")
			c.Outputs[0].Format, c.Outputs[0].Template = "template", tmpl
		}, "outputs[0]: template"},
		{"unreadable tls.caFile", func(t *testing.T, c *config.Config) {
			c.TLS.CAFile = t.TempDir() + "/absent-ca.pem"
		}, "tls.caFile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rf := newReloadFixture(t)
			rf.edit(func(c *config.Config) { tc.edit(t, c) })
			rf.eventually("the unusable reload logged", func() bool {
				return strings.Contains(rf.logs.String(), "configuration file changed but cannot be used; keeping the running configuration")
			})
			if logs := rf.logs.String(); !strings.Contains(logs, tc.field) {
				t.Errorf("the log does not name %s:\n%s", tc.field, logs)
			}
			must(t, rf.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Leiden")))
			rf.eventually("Fig changes after the unusable reload", func() bool { return rf.key("Location") == "Leiden" })
			select {
			case err := <-rf.done:
				t.Fatalf("Run returned %v after an unusable reload", err)
			default:
			}
		})
	}
}

// TestReloadReadsTheFileOnceAndRunsWhatItChecked: a valid edit ends Run
// with ErrConfigChanged and a successor built from the configuration read
// once, so a second edit racing the restart cannot slip in unchecked.
func TestReloadReadsTheFileOnceAndRunsWhatItChecked(t *testing.T) {
	rf := newReloadFixture(t)
	reads := rf.reads.Load()
	rf.edit(func(c *config.Config) { c.Outputs[0].Mode = "0400" })
	select {
	case err := <-rf.done:
		if !errors.Is(err, agent.ErrConfigChanged) {
			t.Fatalf("Run = %v, want ErrConfigChanged", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a valid edit did not reload the configuration")
	}
	next := rf.agent.Successor()
	if next == nil {
		t.Fatal("no successor after ErrConfigChanged")
	}
	if n := rf.reads.Load() - reads; n != 1 {
		t.Errorf("the edit was read %d times, want once", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- next.Run(ctx) }()
	rf.eventually("the successor's file mode", func() bool {
		st, err := os.Stat(rf.out)
		return err == nil && st.Mode().Perm() == 0o400
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("successor Run = %v", err)
	}
}
