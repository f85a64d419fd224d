package fault

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/output"
)

// TestKill9DuringWritesLeavesOldOrNewFile kills a process streaming atomic
// writes with SIGKILL at random points, 25 times. After every kill the file
// must be exactly the last generation the writer confirmed or the one it was
// writing (old or new, complete), a reader running throughout must never see
// anything else, and the temp files a kill leaves behind must be what the
// agent's start-up clean-up (output.RemoveTemps) removes.
func TestKill9DuringWritesLeavesOldOrNewFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "appsettings.json")
	if _, err := output.Write(path, generation(0), 0o440); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(6, 9)) // where kills land varies with timing; the seed keeps the plan fixed

	var stopReader atomic.Bool
	var torn atomic.Value
	var reads atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stopReader.Load() {
			data, err := os.ReadFile(path)
			if err != nil {
				torn.Store("read: " + err.Error())
				return
			}
			if _, err := parseGeneration(data); err != nil {
				torn.Store(err.Error())
				return
			}
			reads.Add(1)
		}
	})

	confirmed, midWrite, newer := 0, 0, 0
	for kill := range 25 {
		cmd := child(t, "writer", path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		// Let the writer confirm 1-8 writes, then kill it up to 2 ms later:
		// mid-write, mid-fsync, mid-rename or between writes.
		for range 1 + rng.IntN(8) {
			if !lines.Scan() {
				t.Fatalf("kill %d: writer exited early", kill)
			}
			confirmed = atoi(t, lines.Text())
		}
		time.Sleep(time.Duration(rng.Int64N(int64(2 * time.Millisecond)))) // the kill point, not synchronisation
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		for lines.Scan() { // confirmations already in the pipe
			confirmed = atoi(t, lines.Text())
		}
		_ = cmd.Wait()

		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("kill %d: %v", kill, err)
		}
		got, err := parseGeneration(data)
		if err != nil {
			t.Fatalf("kill %d: the file is not a complete generation: %v", kill, err)
		}
		if got != confirmed && got != confirmed+1 {
			t.Fatalf("kill %d: file holds generation %d, want %d (old) or %d (new)", kill, got, confirmed, confirmed+1)
		}
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o440 {
			t.Fatalf("kill %d: mode %v (%v), want 0440", kill, info.Mode().Perm(), err)
		}
		n, err := output.RemoveTemps(path)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			midWrite++
		}
		if got == confirmed+1 {
			newer++
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".appsettings.json.tmp-*")); len(left) > 0 {
			t.Fatalf("kill %d: RemoveTemps left %v", kill, left)
		}
	}
	stopReader.Store(true)
	wg.Wait()
	if msg := torn.Load(); msg != nil {
		t.Fatalf("a concurrent reader saw an incomplete file: %v", msg)
	}
	t.Logf("25 kills (%d mid-write, leaving a temp file; %d after the rename but before the confirmation); last generation %d; %d concurrent reads, all complete",
		midWrite, newer, confirmed, reads.Load())
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("writer printed %q", s)
	}
	return n
}
