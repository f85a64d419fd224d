package main

import (
	"log/slog"
	"runtime"
)

// agentProcs is the agent's GOMAXPROCS. The agent waits on the network and
// on file events nearly all the time, and its CPU work (decoding a page,
// rendering a file) is serial; but without a CPU limit (the chart sets
// none: a limit would throttle the first render) Go gives it one P per
// node CPU, with a thread, a cache and a GC worker each. Measured with
// 1,000 settings and 100 secrets (docs/benchmarks.md): one P against two
// lowers idle anonymous memory by about 0.5 MiB, peak RSS by about 1 MiB
// and CPU in a change storm by a fifth; on a 64-CPU node the difference is
// larger.
const agentProcs = 1

// applyProcs sets GOMAXPROCS to agentProcs unless the GOMAXPROCS variable
// chose a value (an operator's explicit choice wins).
func applyProcs(getenv func(string) string, log *slog.Logger) {
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(agentProcs)
	}
	log.Debug("go runtime", "gomaxprocs", runtime.GOMAXPROCS(0))
}
