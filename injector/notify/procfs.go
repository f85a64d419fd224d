package notify

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// process is what /proc tells about one process.
type process struct {
	pid, ppid int
	comm      string // kernel name: executable base name, at most 15 bytes
	argv0     string // base name of argv[0]; empty for kernel threads
}

// readProcesses lists the processes visible under root (normally /proc).
// Processes that exit while being read are skipped.
func readProcesses(root string) ([]process, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var out []process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(root, e.Name(), "stat"))
		if err != nil {
			continue // exited, or hidden from us
		}
		p, ok := parseStat(stat)
		if !ok || p.pid != pid {
			continue
		}
		if cmdline, err := os.ReadFile(filepath.Join(root, e.Name(), "cmdline")); err == nil {
			argv0, _, _ := bytes.Cut(cmdline, []byte{0})
			if len(argv0) > 0 {
				p.argv0 = filepath.Base(string(argv0))
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// parseStat reads pid, comm and ppid from /proc/<pid>/stat:
// "pid (comm) state ppid …". comm may contain spaces and parentheses, so it
// runs to the last ')'.
func parseStat(stat []byte) (process, bool) {
	open, closing := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || closing < open {
		return process{}, false
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(stat[:open])))
	if err != nil {
		return process{}, false
	}
	rest := bytes.Fields(stat[closing+1:]) // state, ppid, …
	if len(rest) < 2 {
		return process{}, false
	}
	ppid, err := strconv.Atoi(string(rest[1]))
	if err != nil {
		return process{}, false
	}
	return process{pid: pid, ppid: ppid, comm: string(stat[open+1 : closing])}, true
}

// targets returns the pids to signal for name: processes whose comm or
// argv[0] base name is name, except self, and except a match whose parent
// also matches. Multi-process servers (nginx, gunicorn) want the signal at
// their master, which passes it on; signalling workers too would reload
// them twice or kill them.
func targets(procs []process, name string, self int) []int {
	match := make(map[int]bool)
	for _, p := range procs {
		if p.pid != self && (p.comm == name || p.argv0 == name) {
			match[p.pid] = true
		}
	}
	var out []int
	for _, p := range procs {
		if match[p.pid] && !match[p.ppid] {
			out = append(out, p.pid)
		}
	}
	return out
}
