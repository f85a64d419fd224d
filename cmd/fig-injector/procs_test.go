package main

import (
	"log/slog"
	"runtime"
	"testing"
)

func TestApplyProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	log := slog.New(slog.DiscardHandler)

	runtime.GOMAXPROCS(3)
	applyProcs(func(string) string { return "" }, log)
	if got := runtime.GOMAXPROCS(0); got != agentProcs {
		t.Errorf("GOMAXPROCS = %d, want %d", got, agentProcs)
	}

	runtime.GOMAXPROCS(3)
	applyProcs(func(k string) string {
		if k == "GOMAXPROCS" {
			return "3"
		}
		return ""
	}, log)
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Errorf("GOMAXPROCS = %d with GOMAXPROCS=3 set, want it untouched", got)
	}
}
