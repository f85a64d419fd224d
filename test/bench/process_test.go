package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's utime and stime
// (100 on every Linux architecture Go supports).
const clockTicks = 100

// BenchmarkAgentProcess runs the real binary (`fig-injector agent
// --mode=sidecar`, as the pod does) against the emulators seeded with 1,000
// Fig settings and 100 Key Vault secrets (SPEC §5: RSS < 20 MiB), with the
// poll intervals dev writes into agent.yaml (Fig 2 s, Key Vault 5 s: busier
// than the 30 s / 60 s defaults). It measures, from /proc:
//
//   - idle: VmRSS at the end of a 10 s window without changes (and its
//     split: RssAnon, the heap and stacks; RssFile, the binary's own pages),
//     and CPU time per second over that window;
//   - storm: 100 Fig changes per second for 10 s, then VmHWM (peak RSS) and
//     CPU time per second over the storm.
//
// Set FIG_INJECTOR_BIN to a built binary (hack/bench.sh does); otherwise
// the benchmark builds one. Run it with -benchtime=1x. The agent logs at warn level; idle-warn-log-lines/s
// counts what it writes while nothing changes.
func BenchmarkAgentProcess(b *testing.B) {
	bin := os.Getenv("FIG_INJECTOR_BIN")
	if bin == "" {
		bin = filepath.Join(b.TempDir(), "fig-injector")
		build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "github.com/fig-injector/fig-injector/cmd/fig-injector")
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("build: %v\n%s", err, out)
		}
	}
	for b.Loop() {
		env, _ := startEnv(b, agentSeed(1000, 100))
		cmd := exec.Command(bin, "agent", "--mode=sidecar", "--config", env.AgentConfigPath, "--listen", "", "--log-level", "warn")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		var stderr jsonLog
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		pid := cmd.Process.Pid
		started := time.Now()
		waitFor(b, "the first file", 30*time.Second, func() bool { return fileHas(env.OutputPath, "secret-0099") })
		firstFile := time.Since(started)

		const window = 10 * time.Second
		logs0 := stderr.count()
		cpu0 := cpuTicks(b, pid)
		time.Sleep(window) // the measurement window itself, not synchronisation
		idleCPU := float64(cpuTicks(b, pid)-cpu0) * 1000 / clockTicks / window.Seconds()
		idleRSS := procStatus(b, pid, "VmRSS")
		idleAnon, idleFile := procStatus(b, pid, "RssAnon"), procStatus(b, pid, "RssFile")
		idleLogs := stderr.count() - logs0

		cpu1 := cpuTicks(b, pid)
		stormStart := time.Now()
		i := 0
		for time.Since(stormStart) < window {
			if err := env.Fig.SetValue("OrderService", "", "Group00->Setting0000", figapi.String(fmt.Sprintf("storm-%05d", i))); err != nil {
				b.Fatal(err)
			}
			i++
			time.Sleep(10 * time.Millisecond) // the storm's pace
		}
		last := fmt.Sprintf("storm-%05d", i-1)
		waitFor(b, "the storm's last value", 30*time.Second, func() bool { return fileHas(env.OutputPath, last) })
		stormCPU := float64(cpuTicks(b, pid)-cpu1) * 1000 / clockTicks / time.Since(stormStart).Seconds()
		peakRSS := procStatus(b, pid, "VmHWM")

		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		b.ReportMetric(idleRSS/1024, "idle-RSS-MiB")
		b.ReportMetric(idleAnon/1024, "idle-RSS-anon-MiB")
		b.ReportMetric(idleFile/1024, "idle-RSS-file-MiB")
		b.ReportMetric(idleCPU, "idle-CPU-ms/s")
		b.ReportMetric(peakRSS/1024, "peak-RSS-MiB")
		b.ReportMetric(stormCPU, "storm-CPU-ms/s")
		b.ReportMetric(float64(i)/window.Seconds(), "storm-changes/s")
		b.ReportMetric(float64(firstFile.Milliseconds()), "exec-to-first-file-ms")
		b.ReportMetric(float64(idleLogs)/window.Seconds(), "idle-warn-log-lines/s")
	}
}

// count returns how many lines were written so far.
func (l *jsonLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), "\n")
}

// procStatus returns a kB field of /proc/PID/status.
func procStatus(b *testing.B, pid int, field string) float64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// cpuTicks returns utime+stime of /proc/PID/stat.
func cpuTicks(b *testing.B, pid int) int64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name (which may hold spaces) start after ")".
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}
