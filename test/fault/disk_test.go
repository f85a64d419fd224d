package fault

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/output"
)

// TestWriteThatRunsOutOfSpaceKeepsTheOldFile makes the kernel refuse a write
// half-way (a child process with RLIMIT_FSIZE below the new content's size:
// the closest to a full volume that needs no mount privileges). The old file
// must be untouched, no temp file may be left, the error must name the step
// and wrap the errno, and once the limit is gone the write succeeds.
func TestWriteThatRunsOutOfSpaceKeepsTheOldFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "appsettings.json")
	old := []byte(`{"Location":"Amsterdam"}`)
	if _, err := output.Write(path, old, 0o440); err != nil {
		t.Fatal(err)
	}
	out, err := child(t, "fsize", path).Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{"changed=false", "efbig=true", "error=write " + path + ": write temp file: ", "file too large"} {
		if !strings.Contains(got, want) {
			t.Errorf("child reported\n%s\nwant a line %q", got, want)
		}
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != string(old) {
		t.Fatalf("old file changed: %q (%v)", data, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp-*")); len(left) > 0 {
		t.Errorf("temp files left after the failed write: %v", left)
	}
	// Space returns (this process has no limit): the write goes through.
	if changed, err := output.Write(path, []byte(strings.Repeat("x", 64<<10)), 0o440); err != nil || !changed {
		t.Fatalf("write after recovery: changed %v, err %v", changed, err)
	}
}

// TestAgentOnAFullVolume runs a sidecar whose writes fail with ENOSPC, the
// way output.Write reports it, through the agent's Write seam. While the
// volume is full, changes arrive: the old file must stay byte for byte, the
// log must say what failed and why (without a value), readiness must hold,
// and once space returns the agent's write retry brings the file up to date
// with everything that happened meanwhile, without waiting for a new change.
func TestAgentOnAFullVolume(t *testing.T) {
	t.Parallel()
	f := newFixture(t, envOptions{})
	var full atomic.Bool
	var refused atomic.Int32
	opts := f.options()
	opts.Write = func(path string, data []byte, mode fs.FileMode) (bool, error) {
		if full.Load() {
			refused.Add(1)
			return false, fmt.Errorf("write %s: write temp file: %w", path, &fs.PathError{Op: "write", Path: path + ".tmp", Err: syscall.ENOSPC})
		}
		return output.Write(path, data, mode)
	}
	a := f.start(opts)
	before := f.read()
	full.Store(true)
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Gouda")))
	f.eventually("a refused write", 10*time.Second, func() bool { return refused.Load() > 0 })
	f.eventually("the failure logged", 5*time.Second, func() bool {
		return strings.Contains(f.logs.String(), "no space left on device")
	})
	if got := f.read(); string(got) != string(before) {
		t.Fatal("the file changed although every write failed")
	}
	if !a.Health().Ready() {
		t.Error("the agent stopped being ready while serving the last good file")
	}
	f.eventually("Fig shows the output unhealthy with the cause", 10*time.Second, func() bool {
		for _, s := range f.env.Fig.RunSessions("OrderService") {
			for _, c := range healthComponents(s) {
				if c.Name == "output "+f.out && c.Status == figapi.Unhealthy && strings.Contains(c.Message, "no space left on device") {
					return true
				}
			}
		}
		return false
	})
	// A Key Vault rotation while still full is refused too; then space
	// returns and, with no further change anywhere, the agent's own retry
	// brings the file up to date with everything that happened meanwhile.
	seen := refused.Load()
	_, err := f.env.Vaults["orders-kv"].SetSecret("api-key", "rotated-while-full")
	must(t, err)
	f.eventually("the rotation's write refused", 10*time.Second, func() bool { return refused.Load() > seen })
	if got := f.read(); string(got) != string(before) {
		t.Fatal("the file changed although every write failed")
	}
	full.Store(false)
	f.eventually("recovery without a new change", 10*time.Second, func() bool {
		return f.key("Location") == "Gouda" && f.key("PaymentApiKey") == "rotated-while-full"
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// healthComponents is the health a run session last reported to Fig.
func healthComponents(s figapi.RunSession) []figapi.HealthComponent {
	if s.Health == nil {
		return nil
	}
	return s.Health.Components
}
