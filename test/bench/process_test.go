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

	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
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
//     and CPU time per second over that window; then CPU time per request
//     the agent makes while idle, over the next idleRequests requests (a
//     fixed count, so the figure does not depend on how busy the machine
//     was), from the threads' schedstat (nanoseconds: /proc/PID/stat counts
//     10 ms ticks, coarser than the figure);
//   - storm: 100 Fig changes per second for 10 s, then VmHWM (peak RSS) and
//     CPU time per second over the storm.
//
// Set FIG_INJECTOR_BIN to a built binary (hack/bench.sh does); otherwise
// the benchmark builds the agent image's (-tags agentonly). FIG_INJECTOR_AGENT_ENV adds space-separated
// NAME=value pairs to the agent's environment (GOGC, GOMAXPROCS… to compare
// runtime settings). Run it with -benchtime=1x. The agent logs at warn level; idle-warn-log-lines/s
// counts what it writes while nothing changes.
func BenchmarkAgentProcess(b *testing.B) {
	bin := os.Getenv("FIG_INJECTOR_BIN")
	if bin == "" {
		bin = filepath.Join(b.TempDir(), "fig-injector")
		build := exec.Command("go", "build", "-trimpath", "-tags", "agentonly", "-ldflags", "-s -w", "-o", bin, "github.com/fig-injector/fig-injector/cmd/fig-injector")
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("build: %v\n%s", err, out)
		}
	}
	for b.Loop() {
		env, _ := startEnv(b, agentSeed(1000, 100))
		cmd := exec.Command(bin, "agent", "--mode=sidecar", "--config", env.AgentConfigPath, "--listen", "", "--log-level", "warn")
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, strings.Fields(os.Getenv("FIG_INJECTOR_AGENT_ENV"))...)
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

		// CPU per idle request, from here on: the first poll re-read the
		// seed's secrets (written less than 2 s before the first render), so
		// the steady state starts after the window above.
		ns0, req0 := cpuNanos(b, pid), agentRequests(env)
		waitFor(b, "the idle requests", 5*time.Minute, func() bool { return agentRequests(env)-req0 >= idleRequests })
		perRequest := float64(cpuNanos(b, pid)-ns0) / 1e6 / float64(agentRequests(env)-req0)

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
		b.ReportMetric(perRequest, "idle-CPU-ms/request")
		b.ReportMetric(peakRSS/1024, "peak-RSS-MiB")
		b.ReportMetric(stormCPU, "storm-CPU-ms/s")
		b.ReportMetric(float64(i)/window.Seconds(), "storm-changes/s")
		b.ReportMetric(float64(firstFile.Milliseconds()), "exec-to-first-file-ms")
		b.ReportMetric(float64(idleLogs)/window.Seconds(), "idle-warn-log-lines/s")
	}
}

// idleRequests is how many idle requests the CPU-per-request figure spans:
// about 45 s at the demo intervals (a Fig status every 2 s, four list pages
// every 5 s).
const idleRequests = 60

// agentRequests counts every request the emulators have answered: Fig's
// routes, Entra's, and each vault's (authentication challenges included).
func agentRequests(env *dev.Env) int {
	n := 0
	for _, r := range []string{figapi.RouteHealth, figapi.RouteCapabilities, figapi.RouteAPIVersion, figapi.RouteRegister, figapi.RouteDescription, figapi.RouteSettings, figapi.RouteStatus} {
		n += env.Fig.Requests(r)
	}
	for _, r := range []string{entra.RouteDiscovery, entra.RouteOpenID, entra.RouteToken} {
		n += env.Entra.Requests(r)
	}
	for _, v := range env.Vaults {
		n += v.Requests(keyvault.RouteGet) + v.Requests(keyvault.RouteList) + v.Requests(keyvault.RouteVersions) + v.Challenges()
	}
	return n
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

// cpuNanos returns the CPU time of all of pid's threads from
// /proc/PID/task/*/schedstat (its first field, nanoseconds on a CPU). A
// thread that exits takes its time with it; the agent's threads live as
// long as it does.
func cpuNanos(b *testing.B, pid int) int64 {
	b.Helper()
	stats, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(stats) == 0 {
		b.Fatalf("no schedstat for %d: %v", pid, err)
	}
	var total int64
	for _, f := range stats {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited
		}
		n, err := strconv.ParseInt(strings.Fields(string(data))[0], 10, 64)
		if err != nil {
			b.Fatalf("%s: %v", f, err)
		}
		total += n
	}
	return total
}
