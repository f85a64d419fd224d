package injector_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// nonStandard, as a forbid entry, stands for every package outside the
// standard library (this module's included).
const nonStandard = "<non-standard>"

// layoutRule is what one package may not depend on: STYLE.md §5's "must
// not import" column, made exact.
type layoutRule struct {
	// pkg is the package, relative to the module; "x/..." is x and every
	// package below it.
	pkg string
	// forbid: no dependency, direct or not, may match one of these.
	forbid []string
	// direct: the package's own imports may not match one of these (an
	// allowed dependency brings them in: k8s.io/api links net/http, and
	// the secret type implements slog.LogValuer).
	direct []string
	// except are dependencies allowed although a forbid entry matches.
	except []string
}

// layout holds STYLE.md §5's rules, plus the packages it does not list
// (rules, allowlist, boundedfile). A rule "x/" forbids every package under
// x; a rule "x" forbids x and everything under it (see violates).
var layout = []layoutRule{
	// The pure core: merge and output know nothing of HTTP, Kubernetes,
	// Azure or the sources; merge does not log either (it returns a
	// conflict report), and reads no clock (TestMergeReadsNoClock).
	{pkg: "injector/merge", forbid: []string{"net/http", "k8s.io/", "github.com/Azure/", "injector/source/", "injector/output"},
		direct: []string{"log", "log/slog"}},
	{pkg: "injector/output", forbid: []string{"net/http", "k8s.io/", "github.com/Azure/", "injector/source/", "injector/merge"}},
	// Leaves: the secret type is the standard library only; the shared
	// rules add the YAML and JSON decoders; allowlist and boundedfile build
	// on the standard library and the rules.
	{pkg: "injector/secret", forbid: []string{nonStandard}},
	{pkg: "injector/rules", forbid: []string{nonStandard}, except: decoders},
	{pkg: "injector/allowlist", forbid: []string{nonStandard}, except: append([]string{"injector/rules"}, decoders...)},
	{pkg: "injector/boundedfile", forbid: []string{nonStandard}},
	{pkg: "injector/clock", forbid: []string{nonStandard, "injector/"}},
	// config: no other injector package than the leaves above (STYLE says
	// none; the allowlists, bounded reads and shared rules are what its
	// validation is made of), and no HTTP.
	{pkg: "injector/config", forbid: []string{"injector/", "net/http"},
		except: []string{"injector/rules", "injector/allowlist", "injector/boundedfile"}},
	// Sources: no HTTP client, Azure SDK or Kubernetes in the shared
	// vocabulary; each source knows nothing of the other, of merge or of
	// output (a split package keeps its rule: "/..." covers its parts).
	{pkg: "injector/source", forbid: []string{"net/http", "k8s.io/", "github.com/Azure/"}},
	{pkg: "injector/source/fig/...", forbid: []string{"injector/source/keyvault", "injector/merge", "injector/output", "k8s.io/", "injector/dev"}},
	// Fig's data contracts and .NET formatting: no HTTP, no cluster, no
	// other source; dotnet is the standard library alone.
	{pkg: "injector/source/fig/contract", forbid: []string{"net/http", "injector/source/keyvault", "injector/merge", "injector/output", "injector/agent", "injector/dev", "k8s.io/", "github.com/Azure/"}},
	{pkg: "injector/source/fig/dotnet", forbid: []string{nonStandard}},
	// The relay: the agent will link the subscriber, so it stays the
	// standard library plus the wire format; the hub knows no transport.
	{pkg: "injector/relay/subscribe", forbid: []string{"k8s.io/", "github.com/Azure/", "github.com/prometheus/", "injector/relay/server", "injector/relay/hub", "injector/relay/auth"}},
	{pkg: "injector/relay/wire", forbid: []string{"injector/"}},
	{pkg: "injector/relay/hub", forbid: []string{"net/http", "k8s.io/", "github.com/Azure/"}},
	{pkg: "injector/relay/hook", forbid: []string{"k8s.io/", "github.com/Azure/", "injector/relay/hub"}},
	// The election knows only the Lease; the coordinator knows nothing of
	// Kubernetes or the peers' transport (the elector and peers are handed
	// to it).
	{pkg: "injector/relay/lease", forbid: []string{"injector/relay/", "github.com/Azure/"}},
	{pkg: "injector/relay/fleet", forbid: []string{"k8s.io/", "injector/relay/lease", "injector/relay/peers", "injector/relay/server"}},
	{pkg: "injector/source/keyvault/...", forbid: []string{"injector/source/fig", "injector/merge", "injector/output", "k8s.io/", "injector/dev"}},
	{pkg: "injector/azure", forbid: []string{"injector/source/fig", "k8s.io/"}},
	{pkg: "injector/transport", forbid: []string{"injector/source"}},
	{pkg: "injector/notify", forbid: []string{"injector/merge", "injector/output", "injector/source"}},
	// watch reports that files changed, never what they hold: it uses no
	// package of this module.
	{pkg: "injector/watch", forbid: []string{"injector/"}},
	{pkg: "injector/agent", forbid: []string{"injector/webhook", "injector/inject", "injector/dev", "k8s.io/", "sigs.k8s.io/controller-runtime"}},
	// status serves a read-only view through an interface.
	{pkg: "injector/status", forbid: []string{"injector/agent"}},
	{pkg: "injector/inject", forbid: []string{"k8s.io/client-go", "injector/source", "injector/agent", "injector/dev"},
		direct: []string{"net/http"}},
	{pkg: "injector/webhook", forbid: []string{"injector/agent", "injector/source", "injector/merge", "injector/output", "sigs.k8s.io/controller-runtime"}},
	// The emulators follow the contracts on their own, so one misreading
	// cannot hide in both server and client: no source package, no agent,
	// and not the clients' shared rules either.
	{pkg: "injector/dev/...", forbid: []string{"injector/source", "injector/agent"}},
	{pkg: "injector/dev/figapi", forbid: []string{"injector/rules"}},
	{pkg: "injector/dev/entra", forbid: []string{"injector/rules"}},
	{pkg: "injector/dev/keyvault", forbid: []string{"injector/rules"}},
}

// decoders are the strict YAML decoder's modules, which injector/rules
// alone may bring in.
var decoders = []string{"sigs.k8s.io/yaml", "sigs.k8s.io/json", "go.yaml.in/yaml"}

const module = "github.com/fig-injector/fig-injector/"

// pkgGraph is one package of `go list`: its own imports and all its
// dependencies, as full import paths.
type pkgGraph struct{ imports, deps []string }

// TestPackageLayout checks the real package graph against layout, and that
// every package a rule names exists (a renamed package must take its rule
// along).
func TestPackageLayout(t *testing.T) {
	graph := listGraph(t)
	for _, r := range layout {
		matched := 0
		for pkg, g := range graph {
			if !r.covers(pkg) {
				continue
			}
			matched++
			for _, v := range r.violations(g) {
				t.Errorf("%s imports %s, which the layout forbids (rule %q of %s)", pkg, relative(v.dep), v.rule, r.pkg)
			}
		}
		if matched == 0 {
			t.Errorf("rule for %s: no such package", r.pkg)
		}
	}
}

// TestLayoutRulesCatch: for each rule STYLE.md states, an import that
// breaks it is reported, and the imports it allows are not.
func TestLayoutRulesCatch(t *testing.T) {
	tests := []struct {
		pkg, dep string
		direct   bool // the package imports dep itself (else through another)
		broken   bool
	}{
		{"injector/config", "net/http", false, true},
		{"injector/config", "injector/output", true, true},
		{"injector/config", "injector/source", true, true},
		{"injector/config", "injector/rules", true, false},
		{"injector/config", "injector/allowlist", true, false},
		{"injector/secret", "github.com/google/go-cmp/cmp", false, true},
		{"injector/secret", "injector/rules", true, true},
		{"injector/secret", "log/slog", true, false},
		{"injector/rules", "k8s.io/apimachinery/pkg/util/validation", true, true},
		{"injector/rules", "injector/secret", true, true},
		{"injector/rules", "sigs.k8s.io/yaml", true, false},
		{"injector/rules", "go.yaml.in/yaml/v2", false, false},
		{"injector/allowlist", "injector/config", true, true},
		{"injector/boundedfile", "injector/rules", true, true},
		{"injector/source", "net/http", false, true},
		{"injector/source", "github.com/Azure/azure-sdk-for-go/sdk/azcore", false, true},
		{"injector/source/fig", "injector/source/keyvault", true, true},
		{"injector/source/fig", "k8s.io/api/core/v1", false, true},
		{"injector/source/keyvault", "injector/merge", true, true},
		{"injector/source/keyvault", "injector/rules", true, false},
		{"injector/azure", "injector/source/fig", true, true},
		{"injector/azure", "k8s.io/client-go/kubernetes", false, true},
		{"injector/transport", "injector/source/keyvault", true, true},
		{"injector/transport", "injector/source", false, true},
		{"injector/transport", "injector/boundedfile", true, false},
		{"injector/merge", "net/http", false, true},
		{"injector/merge", "log/slog", true, true},
		{"injector/merge", "log/slog", false, false}, // through secret's LogValuer
		{"injector/merge", "injector/output", true, true},
		{"injector/output", "injector/source/fig", true, true},
		{"injector/output", "injector/rules", true, false},
		{"injector/notify", "injector/merge", true, true},
		{"injector/notify", "injector/output", true, true},
		{"injector/notify", "injector/source/keyvault", false, true},
		{"injector/notify", "injector/rules", true, false},
		{"injector/watch", "injector/config", true, true},
		{"injector/watch", "injector/secret", false, true},
		{"injector/watch", "github.com/fsnotify/fsnotify", true, false},
		{"injector/agent", "injector/webhook", true, true},
		{"injector/agent", "k8s.io/client-go/kubernetes", false, true},
		{"injector/agent", "injector/dev/figapi", true, true},
		{"injector/status", "injector/agent", true, true},
		{"injector/inject", "net/http", true, true},
		{"injector/inject", "net/http", false, false}, // through k8s.io/apimachinery
		{"injector/inject", "k8s.io/client-go/kubernetes", false, true},
		{"injector/inject", "injector/source/fig", true, true},
		{"injector/inject", "injector/agent", true, true},
		{"injector/webhook", "injector/merge", true, true},
		{"injector/webhook", "sigs.k8s.io/controller-runtime/pkg/webhook", false, true},
		{"injector/dev", "injector/source/keyvault", false, true},
		{"injector/dev/figapi", "injector/source/fig", true, true},
		{"injector/dev/keyvault", "injector/rules", true, true},
		{"injector/dev", "injector/rules", true, false},
		{"cmd/fig-injector", "injector/dev", true, false},
	}
	for _, tc := range tests {
		dep := tc.dep
		if strings.HasPrefix(dep, "injector/") {
			dep = module + dep
		}
		g := pkgGraph{deps: []string{dep}}
		if tc.direct {
			g.imports = g.deps
		}
		broken := false
		for _, r := range layout {
			broken = broken || r.covers(tc.pkg) && len(r.violations(g)) > 0
		}
		if broken != tc.broken {
			t.Errorf("%s importing %s (direct %v): reported %v, want %v", tc.pkg, tc.dep, tc.direct, broken, tc.broken)
		}
	}
}

// TestMergeReadsNoClock: merge is given the time it needs (STYLE.md §5:
// no time.Now), so its result depends on its input only.
func TestMergeReadsNoClock(t *testing.T) {
	files, err := filepath.Glob("merge/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("merge sources: %v, %v", files, err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "time.Now") {
			t.Errorf("%s reads the clock (time.Now); take the time as input instead", f)
		}
	}
}

// TestAgentBuildLeavesOutTheWebhook: the agent image's binary (`-tags
// agentonly`) runs in every injected pod, so it must not link the webhook,
// the emulators or any Kubernetes API package (SPEC §5: image and RSS), nor
// client_golang and the protobuf it brings (the agent writes its metrics
// itself: injector/status).
func TestAgentBuildLeavesOutTheWebhook(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test=false", "-tags", "agentonly", "../cmd/fig-injector").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list printed %d packages: %q", len(deps), out)
	}
	for _, dep := range deps {
		dep = strings.TrimPrefix(dep, module)
		for _, rule := range []string{"injector/webhook", "injector/inject", "injector/dev", "injector/relay/server", "injector/relay/auth", "injector/relay/kvwatch", "k8s.io/", "sigs.k8s.io/controller-runtime", "github.com/prometheus/", "google.golang.org/protobuf"} {
			if violates(dep, rule) {
				t.Errorf("the agent build links %s (rule %q)", dep, rule)
			}
		}
	}
}

// TestProductBuildLeavesOutClientsets: the full binary talks to the API
// server through REST clients with small schemes (kubeconfig.RESTClient).
// A typed client or clientset links client-go's scheme, which registers
// every API group of Kubernetes: 24 MB became 43 MB when one slipped in.
func TestProductBuildLeavesOutClientsets(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test=false", "../cmd/fig-injector").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "k8s.io/client-go/rest") {
		t.Fatalf("go list printed no k8s.io/client-go/rest among %d packages: %q", len(deps), out)
	}
	for _, dep := range deps {
		if violates(dep, "k8s.io/client-go/kubernetes") {
			t.Errorf("the product build links %s (use kubeconfig.RESTClient)", dep)
		}
	}
}

// listGraph lists every package of the module with its imports and
// dependencies, in one `go list`.
func listGraph(t *testing.T) map[string]pkgGraph {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", "../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	graph := map[string]pkgGraph{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "|")
		if len(parts) != 3 {
			t.Fatalf("go list printed %q", line)
		}
		graph[relative(parts[0])] = pkgGraph{imports: strings.Fields(parts[1]), deps: strings.Fields(parts[2])}
	}
	if len(graph) < 20 {
		t.Fatalf("go list found %d packages", len(graph))
	}
	return graph
}

func relative(path string) string { return strings.TrimPrefix(path, module) }

// covers reports whether the rule is about pkg.
func (r layoutRule) covers(pkg string) bool {
	if base, ok := strings.CutSuffix(r.pkg, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == r.pkg
}

type violation struct{ dep, rule string }

// violations lists the dependencies of g that break the rule.
func (r layoutRule) violations(g pkgGraph) []violation {
	var out []violation
	check := func(deps, rules []string) {
		for _, dep := range deps {
			if slices.ContainsFunc(r.except, func(e string) bool { return violates(dep, e) }) {
				continue
			}
			for _, rule := range rules {
				if violates(dep, rule) {
					out = append(out, violation{dep, rule})
				}
			}
		}
	}
	check(g.deps, r.forbid)
	check(g.imports, r.direct)
	return out
}

// violates reports whether dep (a full import path) breaks rule: "x/"
// forbids the packages under x (not x itself); "x" forbids x and
// everything under it; nonStandard forbids every package outside the
// standard library (whose paths have no dot in their first element), this
// module's included. Paths of this module are matched relative to it.
func violates(dep, rule string) bool {
	if rule == nonStandard {
		first, _, _ := strings.Cut(dep, "/")
		return strings.Contains(first, ".")
	}
	dep = relative(dep)
	if strings.HasSuffix(rule, "/") {
		return strings.HasPrefix(dep, rule)
	}
	return dep == rule || strings.HasPrefix(dep, rule+"/")
}
