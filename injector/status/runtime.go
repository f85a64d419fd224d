package status

import (
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
)

// goSeries are the go_* series served, named and computed as client_golang's
// Go collector does (from runtime/metrics, which needs no stop-the-world):
// name, help, and the runtime/metrics samples summed into it.
var goSeries = []struct {
	name, help string
	from       []string
}{
	{"go_gc_gogc_percent", "Heap size target percentage configured by the user, otherwise 100.", []string{"/gc/gogc:percent"}},
	{"go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64.", []string{"/gc/gomemlimit:bytes"}},
	{"go_goroutines", "Number of goroutines that currently exist.", []string{"/sched/goroutines:goroutines"}},
	{"go_memstats_alloc_bytes", "Number of heap bytes allocated and currently in use.", []string{"/memory/classes/heap/objects:bytes"}},
	{"go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.", []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}},
	{"go_memstats_heap_objects", "Number of currently allocated objects.", []string{"/gc/heap/objects:objects"}},
	{"go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place.", []string{"/gc/heap/goal:bytes"}},
	{"go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator.", []string{"/memory/classes/heap/stacks:bytes"}},
	{"go_memstats_sys_bytes", "Number of bytes obtained from system.", []string{"/memory/classes/total:bytes"}},
	{"go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously.", []string{"/sched/gomaxprocs:threads"}},
}

// writeGo appends the go_* families (go_info and go_threads among them).
func writeGo(t *text) {
	var samples []metrics.Sample
	for _, s := range goSeries {
		for _, name := range s.from {
			samples = append(samples, metrics.Sample{Name: name})
		}
	}
	metrics.Read(samples)
	i := 0
	for _, s := range goSeries {
		var v float64
		for range s.from {
			v += sampleValue(samples[i].Value)
			i++
		}
		t.single(s.name, "gauge", s.help, v)
		if s.name == "go_goroutines" { // keep the families sorted by name
			t.family("go_info", "gauge", "Information about the Go environment.")
			t.sample("go_info", 1, "version", runtime.Version())
		}
	}
	threads, _ := runtime.ThreadCreateProfile(nil)
	t.single("go_threads", "gauge", "Number of OS threads created.", float64(threads))
}

func sampleValue(v metrics.Value) float64 {
	switch v.Kind() {
	case metrics.KindUint64:
		return float64(v.Uint64())
	case metrics.KindFloat64:
		return v.Float64()
	}
	return 0 // a metric this Go release does not have
}

// writeProcess appends the process_* families from /proc/self, as
// client_golang's process collector does; where /proc is missing (not
// Linux) there are none.
func writeProcess(t *text) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return
	}
	// Fields after the command name (which may hold spaces) start after ")":
	// f[11] utime, f[12] stime (clock ticks), f[19] starttime (ticks after
	// boot), f[20] vsize (bytes), f[21] rss (pages).
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) < 22 {
		return
	}
	num := func(i int) float64 { n, _ := strconv.ParseFloat(f[i], 64); return n }
	t.single("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", (num(11)+num(12))/clockTicks)
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		t.single("process_max_fds", "gauge", "Maximum number of open file descriptors.", maxFDs())
		t.single("process_open_fds", "gauge", "Number of open file descriptors.", float64(len(fds)))
	}
	t.single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", num(21)*float64(os.Getpagesize()))
	if boot := bootTime(); boot > 0 {
		t.single("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", boot+num(19)/clockTicks)
	}
	t.single("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", num(20))
}

// clockTicks is USER_HZ, the unit of /proc's CPU times (100 on every Linux
// architecture Go supports).
const clockTicks = 100

// maxFDs is the soft limit of open files from /proc/self/limits.
func maxFDs() float64 {
	data, _ := os.ReadFile("/proc/self/limits")
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				if n, err := strconv.ParseFloat(f[0], 64); err == nil {
					return n
				}
			}
		}
	}
	return math.Inf(1) // "unlimited"
}

// bootTime is the btime line of /proc/stat, read once: it does not change.
var bootTime = sync.OnceValue(func() float64 {
	data, _ := os.ReadFile("/proc/stat")
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return n
		}
	}
	return 0
})
