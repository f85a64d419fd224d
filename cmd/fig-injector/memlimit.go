package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// cgroupRoot is where the container's cgroup is mounted; with cgroup
// namespaces (the default on cgroup v2 nodes) it is the container's own.
const cgroupRoot = "/sys/fs/cgroup"

// The files that hold a cgroup's memory limit, v2 first.
var memoryLimitFiles = []string{
	"memory.max",                   // cgroup v2: bytes, or "max"
	"memory/memory.limit_in_bytes", // cgroup v1: bytes, a huge number when unlimited
}

// heapShare is the part of the memory limit given to Go as GOMEMLIMIT. The
// rest is for what the Go heap does not count: the output files on the
// memory volume (charged to the container), stacks and the runtime.
const heapShare = 0.75

// noLimit: cgroup v1 reports "unlimited" as a page-rounded maximum, above
// any real limit.
const noLimit = 1 << 60

// containerMemoryLimit reads the memory limit of the cgroup under root, in
// bytes; ok is false when there is none or it cannot be read (not Linux, no
// cgroup mounted, no limit set).
func containerMemoryLimit(root string) (limit int64, ok bool, err error) {
	for _, name := range memoryLimitFiles {
		data, err := os.ReadFile(filepath.Join(root, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, false, err
		}
		return parseMemoryLimit(string(data))
	}
	return 0, false, nil
}

// parseMemoryLimit parses a cgroup memory limit file's content: a decimal
// byte count, or "max" (v2) for none.
func parseMemoryLimit(s string) (limit int64, ok bool, err error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil && errors.Is(err, strconv.ErrRange):
		return 0, false, nil // beyond int64: no limit worth the name
	case err != nil || n <= 0:
		return 0, false, fmt.Errorf("cgroup memory limit %q is not a positive byte count", s)
	case n >= noLimit:
		return 0, false, nil
	}
	return n, true, nil
}

// applyMemoryLimit reads the memory limit of the cgroup under root (the
// container's: cgroupRoot), sets the Go runtime's soft limit to heapShare
// of it unless GOMEMLIMIT is set (an operator's explicit choice wins, and
// the runtime has already read it), and returns the limit for the agent's
// size limits (0: unknown). The agent reads it itself, rather than relying
// on the webhook to inject GOMEMLIMIT, so a hand-run agent benefits too.
func applyMemoryLimit(root string, getenv func(string) string, log *slog.Logger) int64 {
	limit, ok, err := containerMemoryLimit(root)
	if err != nil {
		log.Warn("cannot read the container's memory limit; size limits use their ceilings", "error", err.Error())
	}
	if !ok {
		return 0
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(float64(limit) * heapShare))
	}
	log.Debug("container memory limit", "bytes", limit, "go_memory_limit", debug.SetMemoryLimit(-1))
	return limit
}
