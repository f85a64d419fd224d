package main

import (
	"log/slog"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestApplyGoRuntime(t *testing.T) {
	procs, gogc := runtime.GOMAXPROCS(0), debug.SetGCPercent(100)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs); debug.SetGCPercent(gogc) })
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name      string
		env       map[string]string
		wantProcs int
		wantGOGC  int
	}{
		{"the agent's own", nil, agentProcs, agentGCPercent},
		{"GOMAXPROCS set", map[string]string{"GOMAXPROCS": "3"}, 3, agentGCPercent},
		{"GOGC set", map[string]string{"GOGC": "100"}, agentProcs, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GOMAXPROCS(3)   // as if the runtime had read GOMAXPROCS=3 or found 3 CPUs
			debug.SetGCPercent(100) // as if the runtime had read GOGC=100 or had none
			applyGoRuntime(func(k string) string { return tt.env[k] }, log)
			if got := runtime.GOMAXPROCS(0); got != tt.wantProcs {
				t.Errorf("GOMAXPROCS = %d, want %d", got, tt.wantProcs)
			}
			if got := debug.SetGCPercent(100); got != tt.wantGOGC {
				t.Errorf("GOGC = %d, want %d", got, tt.wantGOGC)
			}
		})
	}
}
