package main

import (
	"log/slog"
	"runtime"
	"runtime/debug"
)

// The agent's Go runtime settings, each measured with 1,000 settings and
// 100 secrets (BenchmarkAgentProcess, docs/benchmarks.md). An operator's
// GOMAXPROCS or GOGC in the environment wins over them.
const (
	// agentProcs is the agent's GOMAXPROCS. The agent waits on the network
	// and on file events nearly all the time, and its CPU work (decoding a
	// page, rendering a file) is serial; but without a CPU limit (the chart
	// sets none: a limit would throttle the first render) Go gives it one P
	// per node CPU, with a thread, a cache and a GC worker each. One P
	// against two: about 0.5 MiB less idle anonymous memory and 1 MiB less
	// peak, and less CPU in a change storm and per idle request; on a
	// 64-CPU node the difference is larger.
	agentProcs = 1
	// agentGCPercent is the agent's GOGC. Its live heap is small (about
	// 1.4 MiB idle), so the heap's size is the GC's goal, at least
	// 4 MiB × GOGC/100, not its data: 50 against the default 100 is about
	// 1 MiB less idle anonymous memory and 2 MiB less peak, for about a
	// tenth more CPU per idle request (still under 1 ms). Every pod pays
	// the memory; the CPU is a few milliseconds a minute at the default
	// poll intervals.
	agentGCPercent = 50
)

// applyGoRuntime sets GOMAXPROCS and GOGC to the agent's values where the
// environment did not choose them.
func applyGoRuntime(getenv func(string) string, log *slog.Logger) {
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(agentProcs)
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(agentGCPercent)
	}
	gogc := debug.SetGCPercent(-1)
	debug.SetGCPercent(gogc)
	log.Debug("go runtime", "gomaxprocs", runtime.GOMAXPROCS(0), "gogc", gogc)
}
