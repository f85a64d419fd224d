package docs_test

import (
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/internal/testutil/exported"
)

// TestMetricsDocumented checks operations.md's metrics table against what
// the agent (status.NewMetrics) and the webhook register: every
// fig_injector_* family has a row with its type and every label, and every
// row names a real family.
func TestMetricsDocumented(t *testing.T) {
	table := rowsByFirstTick(rows(readDoc(t, "operations.md").section(t, "## Metrics")))
	known := map[string]bool{}
	for _, f := range exported.MetricFamilies(t) {
		name := f.GetName()
		if !strings.HasPrefix(name, "fig_injector_") {
			continue // go_* and process_* are documented as a group
		}
		known[name] = true
		r, ok := table[name]
		if !ok {
			t.Errorf("metric %s is not in operations.md's metrics table", name)
			continue
		}
		if got, want := r[1], strings.ToLower(f.GetType().String()); got != want {
			t.Errorf("metric %s: documented type %q, registered %q", name, got, want)
		}
		labels := map[string]bool{}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = true
			}
		}
		for l := range labels {
			if !hasTick(r[2], l) {
				t.Errorf("metric %s: label %s is not in its labels cell %q", name, l, r[2])
			}
		}
	}
	if len(known) == 0 {
		t.Fatal("no fig_injector_* metrics gathered")
	}
	for name := range table {
		if strings.HasPrefix(name, "fig_injector_") && !known[name] {
			t.Errorf("operations.md documents %s, which neither the agent, the webhook nor the relay registers", name)
		}
	}
}

// TestAgentRuntimeSeriesDocumented: the agent writes its go_* and
// process_* series itself (not client_golang's collectors), so
// operations.md names each one it serves.
func TestAgentRuntimeSeriesDocumented(t *testing.T) {
	section := readDoc(t, "operations.md").section(t, "## Metrics")
	n := 0
	for _, f := range exported.AgentFamilies(t) {
		name := f.GetName()
		if !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") {
			continue
		}
		n++
		if !strings.Contains(section, "`"+name+"`") {
			t.Errorf("the agent serves %s, which operations.md's metrics section does not name", name)
		}
	}
	if n == 0 {
		t.Fatal("the agent serves no go_* or process_* series")
	}
}
