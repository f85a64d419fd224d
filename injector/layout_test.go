package injector_test

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden lists, per package, the imports that would break the layout.
// A rule "x/" forbids every package under x.
var forbidden = map[string][]string{
	"injector/merge":           {"net/http", "k8s.io/", "github.com/Azure/", "injector/source/", "injector/output"},
	"injector/output":          {"net/http", "k8s.io/", "github.com/Azure/", "injector/source/", "injector/merge"},
	"injector/secret":          {"injector/"},
	"injector/source":          {"net/http", "k8s.io/", "github.com/Azure/"},
	"injector/config":          {"net/http", "injector/source", "injector/agent", "injector/merge", "injector/output"},
	"injector/source/fig":      {"injector/source/keyvault", "injector/merge", "injector/output", "k8s.io/", "injector/dev"},
	"injector/source/keyvault": {"injector/source/fig", "injector/merge", "injector/output", "k8s.io/", "injector/dev"},
	"injector/agent":           {"injector/webhook", "injector/inject", "injector/dev", "k8s.io/", "sigs.k8s.io/controller-runtime"},
	"injector/allowlist":       {"k8s.io/", "injector/source", "injector/agent", "injector/inject"},
	"injector/inject":          {"k8s.io/client-go", "injector/source", "injector/agent", "injector/dev"},
	"injector/webhook":         {"injector/agent", "injector/source", "injector/merge", "injector/output", "sigs.k8s.io/controller-runtime"},
	"injector/dev/figapi":      {"injector/source", "injector/agent"},
	"injector/dev/entra":       {"injector/source", "injector/agent"},
	"injector/dev/keyvault":    {"injector/source", "injector/agent"},
}

const module = "github.com/fig-injector/fig-injector/"

func TestPackageLayout(t *testing.T) {
	for pkg, rules := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "-test=false", "./"+strings.TrimPrefix(pkg, "injector/")).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "no Go files") || strings.Contains(string(out), "directory not found") || strings.Contains(string(out), "matched no packages") {
				continue // a package not written yet breaks no rule
			}
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			dep = strings.TrimPrefix(dep, module)
			if dep == pkg {
				continue
			}
			for _, rule := range rules {
				if violates(dep, rule) {
					t.Errorf("%s imports %s, which the layout forbids (rule %q)", pkg, dep, rule)
				}
			}
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
		for _, rule := range []string{"injector/webhook", "injector/inject", "injector/dev", "k8s.io/", "sigs.k8s.io/controller-runtime", "github.com/prometheus/", "google.golang.org/protobuf"} {
			if violates(dep, rule) {
				t.Errorf("the agent build links %s (rule %q)", dep, rule)
			}
		}
	}
}

// violates reports whether dep breaks rule: "x/" forbids the packages under
// x (not x itself); "x" forbids x and everything under it.
func violates(dep, rule string) bool {
	if strings.HasSuffix(rule, "/") {
		return strings.HasPrefix(dep, rule)
	}
	return dep == rule || strings.HasPrefix(dep, rule+"/")
}
