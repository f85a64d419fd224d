package notify

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTargets(t *testing.T) {
	// A pod with a shared process namespace: pause is PID 1.
	const self = 40
	procs := []process{
		{pid: 1, ppid: 0, comm: "pause", argv0: "pause"},
		{pid: 7, ppid: 0, comm: "dotnet", argv0: "dotnet"},
		{pid: 12, ppid: 0, comm: "nginx", argv0: "nginx"},
		{pid: 13, ppid: 12, comm: "nginx", argv0: "nginx: worker process"},
		{pid: 14, ppid: 12, comm: "nginx", argv0: "nginx: worker process"},
		{pid: 20, ppid: 0, comm: "OrderService.Ap", argv0: "OrderService.Api"},
		{pid: self, ppid: 0, comm: "fig-injector", argv0: "fig-injector"},
		{pid: 41, ppid: self, comm: "sh", argv0: "sh"},
	}
	tests := []struct {
		name string
		want []int
	}{
		{"dotnet", []int{7}},
		{"nginx", []int{12}},            // the master, not its workers
		{"OrderService.Api", []int{20}}, // longer than comm: matched by argv[0]
		{"OrderService.Ap", []int{20}},  // or by comm
		{"fig-injector", nil},           // never itself
		{"pause", []int{1}},             // PID 1 only because it matches
		{"java", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, targets(procs, tt.name, self)); diff != "" {
				t.Errorf("targets(%q) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestTargetsChildOfSelfIsStillTop(t *testing.T) {
	// Self is excluded from matching, so a same-named child is not a worker.
	procs := []process{
		{pid: 5, ppid: 0, comm: "app"},
		{pid: 6, ppid: 5, comm: "app"},
	}
	if diff := cmp.Diff([]int{6}, targets(procs, "app", 5)); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

func TestReadProcesses(t *testing.T) {
	root := t.TempDir()
	proc := func(pid, stat, cmdline string) {
		dir := filepath.Join(root, pid)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if stat != "" {
			if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "cmdline"), []byte(cmdline), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	proc("1", "1 (pause) S 0 1 1 0 -1 4194560\n", "/pause\x00")
	proc("7", "7 (dotnet) S 0 7 7 0 -1\n", "/usr/share/dotnet/dotnet\x00OrderService.dll\x00")
	proc("9", "9 (odd (name) x) S 7 9 9 0\n", "odd\x00")
	proc("11", "11 (kthread) S 2 0 0\n", "") // kernel thread: no cmdline
	proc("12", "", "gone\x00")               // exited between listing and reading
	proc("self", "99 (x) S 1\n", "")         // not a pid
	if err := os.WriteFile(filepath.Join(root, "uptime"), []byte("1 1"), 0o644); err != nil {
		t.Fatal(err)
	}

	got, err := readProcesses(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []process{
		{pid: 1, ppid: 0, comm: "pause", argv0: "pause"},
		{pid: 11, ppid: 2, comm: "kthread"},
		{pid: 7, ppid: 0, comm: "dotnet", argv0: "dotnet"},
		{pid: 9, ppid: 7, comm: "odd (name) x", argv0: "odd"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(process{})); diff != "" {
		t.Errorf("readProcesses (-want +got):\n%s", diff)
	}
}

func TestReadProcessesSeesThisProcess(t *testing.T) {
	procs, err := readProcesses("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		if p.pid == os.Getpid() {
			if p.ppid != os.Getppid() || p.argv0 != filepath.Base(os.Args[0]) {
				t.Errorf("own entry = %+v, want ppid %d and argv0 %q", p, os.Getppid(), filepath.Base(os.Args[0]))
			}
			return
		}
	}
	t.Errorf("pid %s not among %d processes in /proc", strconv.Itoa(os.Getpid()), len(procs))
}
