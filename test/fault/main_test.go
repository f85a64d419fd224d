package fault

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/fig-injector/fig-injector/injector/output"
)

// childEnv selects what a re-executed test binary does instead of running
// the tests: "writer" (a stream of atomic writes until killed),
// "fsize" (one write under a file-size limit, like a full disk) or
// "webhook" (the admission webhook, for its memory under load).
const childEnv = "FIG_FAULT_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "writer":
		os.Exit(writerChild(os.Getenv("FIG_FAULT_PATH")))
	case "fsize":
		os.Exit(fsizeChild(os.Getenv("FIG_FAULT_PATH")))
	case "webhook":
		os.Exit(webhookChild(os.Getenv("FIG_FAULT_PATH")))
	}
	// The tests mostly wait for the agent's schedule, not for the CPU: run
	// more of them at once than -parallel's default (GOMAXPROCS) unless the
	// caller chose.
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", "8")
	}
	os.Exit(m.Run())
}

// child returns a command that re-executes this test binary in child mode.
func child(t *testing.T, mode, path string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "FIG_FAULT_PATH="+path)
	cmd.Stderr = os.Stderr
	return cmd
}

// generation is the content of the n-th write: a header naming n and the
// length, a body that differs per generation, and a trailer with the
// SHA-256 of everything before it, so a reader can tell a complete file
// from a torn one. Sizes vary (16-272 KiB), so a torn write cannot hide
// behind an equal length.
func generation(n int) []byte {
	size := 16<<10 + (n*7919)%(256<<10)
	var b strings.Builder
	fmt.Fprintf(&b, "gen=%d size=%d\n", n, size)
	line := fmt.Sprintf("%08d-abcdefghijklmnopqrstuvwxyz-%08d\n", n, n)
	for b.Len() < size {
		b.WriteString(line)
	}
	sum := sha256.Sum256([]byte(b.String()))
	b.WriteString("sha256=" + hex.EncodeToString(sum[:]) + "\n")
	return []byte(b.String())
}

// parseGeneration checks that data is one complete generation and returns n.
func parseGeneration(data []byte) (int, error) {
	s := string(data)
	i := strings.LastIndex(strings.TrimSuffix(s, "\n"), "\n")
	if i < 0 || !strings.HasPrefix(s[i+1:], "sha256=") {
		return 0, fmt.Errorf("no trailer (%d bytes): torn file", len(data))
	}
	sum := sha256.Sum256([]byte(s[:i+1]))
	if strings.TrimSpace(s[i+1+len("sha256="):]) != hex.EncodeToString(sum[:]) {
		return 0, fmt.Errorf("checksum mismatch (%d bytes): torn or mixed file", len(data))
	}
	var n, size int
	if _, err := fmt.Sscanf(s, "gen=%d size=%d\n", &n, &size); err != nil {
		return 0, fmt.Errorf("bad header: %w", err)
	}
	if string(generation(n)) != s {
		return 0, fmt.Errorf("content differs from generation %d", n)
	}
	return n, nil
}

// writerChild writes generation after generation to path with the product's
// atomic writer, printing each number after Write returned, until killed.
func writerChild(path string) int {
	w := bufio.NewWriter(os.Stdout)
	start := 0
	if data, err := os.ReadFile(path); err == nil {
		if n, err := parseGeneration(data); err == nil {
			start = n + 1
		}
	}
	for n := start; ; n++ {
		if _, err := output.Write(path, generation(n), 0o440); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			return 1
		}
		fmt.Fprintln(w, n)
		_ = w.Flush()
	}
}

// fsizeChild is a process whose files may not grow beyond 8 KiB
// (RLIMIT_FSIZE, with SIGXFSZ ignored so the write fails with EFBIG instead
// of killing the process): to the writer, a volume that fills up mid-write.
// It tries to replace path with 64 KiB and prints the outcome.
func fsizeChild(path string) int {
	_ = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 8 << 10, Max: 8 << 10})
	signal.Ignore(syscall.SIGXFSZ)
	changed, err := output.Write(path, []byte(strings.Repeat("new content that does not fit\n", 64<<10/30)), 0o440)
	fmt.Println("changed=" + strconv.FormatBool(changed))
	fmt.Println("efbig=" + strconv.FormatBool(errors.Is(err, syscall.EFBIG)))
	if err != nil {
		fmt.Println("error=" + err.Error())
	}
	return 0
}
