//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/fig-injector/fig-injector/internal/testutil/exported"
)

// TestChartMonitoring renders the chart with its alerts and dashboard on
// (relay and ServiceMonitors too: the relay's alerts need its metrics
// scraped), checks that every metric an alert, a panel or
// a dashboard variable queries is one the code exports and that the
// dashboard shows every fig_injector_* metric, then has promtool check the
// rules and run their unit tests (testdata/alerts_test.yaml: the alerts fire
// on synthetic series and stay quiet otherwise). hack/e2e.sh builds promtool
// and sets E2E_PROMTOOL.
func TestChartMonitoring(t *testing.T) {
	promtool := os.Getenv("E2E_PROMTOOL")
	if promtool == "" {
		t.Fatal("E2E_PROMTOOL is not set: run the suite through hack/e2e.sh, which builds promtool")
	}
	r := mustRender(t, "--set", "monitoring.prometheusRule.enabled=true,monitoring.dashboard.enabled=true,serviceMonitor.enabled=true",
		"--set", "relay.enabled=true,relay.webhookSecretHash.secretName=fig-hook")
	checkServiceMonitors(t, r)
	rules := r.one(t, "PrometheusRule")
	exprs := ruleExprs(t, rules)
	dashboardExprs, shown := dashboardQueries(t, r)
	families := exported.MetricFamilies(t)
	known := exportedNames(families)

	for _, expr := range append(exprs, dashboardExprs...) {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("no metric found in %q", expr)
		}
		for _, n := range names {
			if !known[n] {
				t.Errorf("%q queries %s, which the code does not export", expr, n)
			}
		}
	}
	for _, f := range families {
		name := f.GetName()
		if strings.HasPrefix(name, "fig_injector_") && !slices.ContainsFunc(shown, func(n string) bool { return familyOf(n) == name }) {
			t.Errorf("the dashboard does not show %s", name)
		}
	}

	runPromtool(t, promtool, rules)
}

// checkServiceMonitors: the down alerts need the webhook and the relay
// scraped, each over TLS with its own Service's name.
func checkServiceMonitors(t *testing.T, r rendered) {
	t.Helper()
	var monitors []string
	for _, sm := range r["ServiceMonitor"] {
		endpoint := field(t, sm, "spec", "endpoints").([]any)[0].(map[string]any)
		serverName, _, _ := unstructured.NestedString(endpoint, "tlsConfig", "serverName")
		monitors = append(monitors, sm.GetName()+" "+serverName)
	}
	if diff := cmp.Diff([]string{chartRelease + " " + chartRelease + "." + chartNS + ".svc", chartRelease + "-relay " + chartRelease + "-relay." + chartNS + ".svc"}, monitors); diff != "" {
		t.Errorf("ServiceMonitors and their TLS server names (-want +got):\n%s", diff)
	}
}

// runPromtool writes the rules' spec next to testdata/alerts_test.yaml (which
// names it rules.yaml) and runs promtool check rules and test rules on them.
func runPromtool(t *testing.T, promtool string, rules *unstructured.Unstructured) {
	t.Helper()
	dir := t.TempDir()
	spec, err := yaml.Marshal(field(t, rules, "spec"))
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile("testdata/alerts_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"rules.yaml": spec, "alerts_test.yaml": tests} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"check", "rules", "rules.yaml"}, {"test", "rules", "alerts_test.yaml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}

// ruleExprs returns the expression of every rule, and checks the three
// groups are there.
func ruleExprs(t *testing.T, rules *unstructured.Unstructured) []string {
	t.Helper()
	var groups []string
	var exprs []string
	for _, g := range field(t, rules, "spec", "groups").([]any) {
		g := g.(map[string]any)
		groups = append(groups, g["name"].(string))
		for _, rule := range g["rules"].([]any) {
			exprs = append(exprs, rule.(map[string]any)["expr"].(string))
		}
	}
	if diff := cmp.Diff([]string{"fig-injector-agent", "fig-injector-webhook", "fig-injector-relay"}, groups); diff != "" {
		t.Errorf("rule groups (-want +got):\n%s", diff)
	}
	return exprs
}

// dashboardQueries returns the PromQL of every panel target and the metric
// names of every query variable (label_values(metric, label)) of the
// dashboard ConfigMap, and all the metric names the panels show.
func dashboardQueries(t *testing.T, r rendered) (exprs, shown []string) {
	t.Helper()
	i := slices.IndexFunc(r["ConfigMap"], func(o *unstructured.Unstructured) bool { return o.GetName() == chartRelease+"-dashboard" })
	if i < 0 {
		t.Fatalf("no ConfigMap %s-dashboard rendered", chartRelease)
	}
	cm := r["ConfigMap"][i]
	if cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap %s labels %v: no grafana_dashboard=1 for Grafana's sidecar", cm.GetName(), cm.GetLabels())
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Type  string
				Query json.RawMessage
			}
		}
	}
	if err := json.Unmarshal([]byte(field(t, cm, "data", "fig-injector.json").(string)), &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	for _, p := range d.Panels {
		for _, target := range p.Targets {
			exprs = append(exprs, target.Expr)
			shown = append(shown, metricNames(target.Expr)...)
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct{ Query string }
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Fatalf("dashboard variable query %s: %v", v.Query, err)
		}
		m := labelValues.FindStringSubmatch(q.Query)
		if m == nil {
			t.Fatalf("dashboard variable query %q is not label_values(metric, label)", q.Query)
		}
		exprs = append(exprs, m[1])
	}
	if len(exprs) < 10 {
		t.Fatalf("only %d dashboard queries found", len(exprs))
	}
	return exprs, shown
}

// exportedNames are the names a query may select: every family, and a
// histogram's or summary's _bucket, _sum and _count series.
func exportedNames(families []*dto.MetricFamily) map[string]bool {
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_SUMMARY:
			for _, s := range seriesSuffixes {
				names[f.GetName()+s] = true
			}
		}
	}
	return names
}

var seriesSuffixes = []string{"_bucket", "_sum", "_count"}

// familyOf strips a histogram's series suffix.
func familyOf(name string) string {
	for _, s := range seriesSuffixes {
		if base, ok := strings.CutSuffix(name, s); ok {
			return base
		}
	}
	return name
}

// promqlSkipped are what metricNames removes before it looks for names:
// string literals, label matchers {…} and ranges […] (Grafana's
// $__rate_interval among them), and numbers and durations.
var promqlSkipped = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\{[^}]*\}|\[[^\]]*\]|\b[0-9][0-9a-zA-Z_.]*`)

// promqlToken is an identifier, or a parenthesis.
var promqlToken = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*|[()]`)

// promqlKeywords are identifiers that are not metric names; the grouping
// ones are followed by a parenthesised list of label names to skip.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true, "inf": true, "nan": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

var promqlGrouping = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}

// isAggregationGrouping: an identifier before "by" or "without" is an
// aggregation operator (sum by (…) (…)), not a metric.
func isAggregationGrouping(next string) bool {
	return strings.EqualFold(next, "by") || strings.EqualFold(next, "without")
}

// metricNames returns the metric names a valid PromQL expression selects:
// identifiers that are not keywords, not function or aggregation names
// (followed by "("), and not label names in a grouping list. promtool
// checks the syntax; this only needs to read valid expressions.
func metricNames(expr string) []string {
	tokens := promqlToken.FindAllString(promqlSkipped.ReplaceAllString(expr, " "), -1)
	var names []string
	for i := 0; i < len(tokens); i++ {
		tok := tokens[i]
		next := ""
		if i+1 < len(tokens) {
			next = tokens[i+1]
		}
		switch {
		case promqlGrouping[strings.ToLower(tok)] && next == "(":
			for i < len(tokens) && tokens[i] != ")" {
				i++ // the label list
			}
		case tok == "(" || tok == ")" || promqlKeywords[strings.ToLower(tok)] || next == "(" || isAggregationGrouping(next):
		default:
			names = append(names, tok)
		}
	}
	return names
}

// TestMetricNames: the PromQL reader TestChartMonitoring relies on.
func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`up`, []string{"up"}},
		{`time() - a_seconds{source="fig"} > 300 or time() - a_seconds{source=~"keyvault:.*"} > 600`, []string{"a_seconds", "a_seconds"}},
		{`sum by (namespace, pod) (increase(b_total{code=~"2..|304"}[10m])) > 0 unless on (pod) c`, []string{"b_total", "c"}},
		{`histogram_quantile(0.99, sum by (le) (rate(h_bucket{namespace=~"$namespace"}[$__rate_interval])))`, []string{"h_bucket"}},
		{`sum(rate(x_total[5m] offset 1h)) without (le) / ignoring (a, b) group_left (c) y`, []string{"x_total", "y"}},
		{`absent(d{namespace="fig-system"}) and 1e3 < bool e`, []string{"d", "e"}},
		{`max (f) by (vault) == 1`, []string{"f"}},
		{`g * on (pod) group_left (node) h`, []string{"g", "h"}},
	} {
		if diff := cmp.Diff(tc.want, metricNames(tc.expr)); diff != "" {
			t.Errorf("metricNames(%q) (-want +got):\n%s", tc.expr, diff)
		}
	}
}
