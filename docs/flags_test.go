package docs_test

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// flagInfo is one flag as `fig-injector <command> --help` prints it.
type flagInfo struct {
	name string
	def  string // "" when --help shows no default
}

// buildBinary builds cmd/fig-injector into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fig-injector")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/fig-injector")
	cmd.Dir = ".." // the module root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/fig-injector: %v\n%s", err, out)
	}
	return bin
}

// run runs the binary and returns its stderr, where usage goes.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("%s %v: %v", bin, args, err)
		}
		t.Fatalf("%s %v: exit %d\n%s", bin, args, exit.ExitCode(), stderr.String())
	}
	return stderr.String()
}

var commandLine = regexp.MustCompile(`^  (\S+)\s{2,}\S`)

// commandNames parses the command list of `fig-injector help`.
func commandNames(t *testing.T, usage string) []string {
	t.Helper()
	_, list, ok := strings.Cut(usage, "commands:\n")
	if !ok {
		t.Fatalf("no command list in the usage:\n%s", usage)
	}
	var out []string
	for _, line := range strings.Split(list, "\n") {
		m := commandLine.FindStringSubmatch(line)
		if m == nil {
			break
		}
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatalf("no commands in the usage:\n%s", usage)
	}
	return out
}

var (
	flagLine    = regexp.MustCompile(`^  -([A-Za-z0-9][\w-]*)`)
	defaultText = regexp.MustCompile(`\(default (.+)\)$`)
)

// parseFlags reads Go's flag.PrintDefaults output: a "  -name type" line per
// flag, then its usage lines, the last ending "(default …)" when there is a
// default worth showing.
func parseFlags(help string) []flagInfo {
	var out []flagInfo
	for _, line := range strings.Split(help, "\n") {
		if m := flagLine.FindStringSubmatch(line); m != nil {
			out = append(out, flagInfo{name: m[1]})
			continue
		}
		if len(out) == 0 {
			continue
		}
		if m := defaultText.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			def := m[1]
			if u, err := strconv.Unquote(def); err == nil {
				def = u
			}
			out[len(out)-1].def = def
		}
	}
	return out
}

// TestFlagsDocumented builds the binary and checks, for every subcommand
// its usage lists, that configuration.md has a section for it whose table
// documents every flag --help prints, with the default --help shows, and no
// flag the command does not have.
func TestFlagsDocumented(t *testing.T) {
	bin := buildBinary(t)
	d := readDoc(t, "configuration.md")
	commands := rowsByFirstTick(rows(d.section(t, "## Commands")))
	for _, name := range commandNames(t, run(t, bin, "help")) {
		t.Run(name, func(t *testing.T) {
			if _, ok := commands[name]; !ok {
				t.Errorf("command %s is not in the commands table", name)
			}
			flags := parseFlags(run(t, bin, name, "--help"))
			table := rowsByFirstTick(rows(d.section(t, "### `fig-injector "+name+"`")))
			known := map[string]bool{}
			for _, f := range flags {
				key := "--" + f.name
				known[key] = true
				r, ok := table[key]
				switch {
				case !ok:
					t.Errorf("flag %s of %s is not documented", key, name)
				case f.def != "" && !hasTick(r[1], f.def):
					t.Errorf("flag %s of %s: --help shows default %q, the default cell says %q", key, name, f.def, r[1])
				}
			}
			for key := range table {
				if strings.HasPrefix(key, "--") && !known[key] {
					t.Errorf("configuration.md documents %s for %s, which --help does not list", key, name)
				}
			}
		})
	}
}
