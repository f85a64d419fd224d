package docs_test

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	relaymetrics "github.com/fig-injector/fig-injector/injector/relay/metrics"
	"github.com/fig-injector/fig-injector/injector/status"
	"github.com/fig-injector/fig-injector/injector/webhook"
)

// agentFamilies gathers the agent's metrics from a fresh registry after
// calling every method of status.Metrics once with zero arguments, so that
// labelled series exist whichever methods are added later.
func agentFamilies(t *testing.T) []*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := reflect.ValueOf(status.NewMetrics(reg))
	for i := range m.NumMethod() {
		method := m.Method(i)
		args := make([]reflect.Value, method.Type().NumIn())
		for j := range args {
			args[j] = reflect.Zero(method.Type().In(j))
		}
		method.Call(args)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// webhookFamilies gathers the webhook's metrics from a fresh registry.
func webhookFamilies(t *testing.T) []*dto.MetricFamily {
	t.Helper()
	cfg, err := webhook.ParseConfig([]byte("image: example.com/fig-injector:test\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	webhook.NewHandler(cfg, nil, reg, slog.New(slog.DiscardHandler))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// relayFamilies gathers the relay's metrics from a fresh registry after
// one call of each method, so labelled series exist.
func relayFamilies(t *testing.T) []*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := relaymetrics.New(reg, func() int { return 0 })
	m.Hook("SettingValueChanged", "ok")
	m.Subscription("accepted")
	m.Delivered(1)
	m.VaultPass("https://kv.vault.azure.net/", "ok", 1)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// TestMetricsDocumented checks operations.md's metrics table against what
// the agent (status.NewMetrics) and the webhook register: every
// fig_injector_* family has a row with its type and every label, and every
// row names a real family.
func TestMetricsDocumented(t *testing.T) {
	table := rowsByFirstTick(rows(readDoc(t, "operations.md").section(t, "## Metrics")))
	known := map[string]bool{}
	for _, f := range append(append(agentFamilies(t), webhookFamilies(t)...), relayFamilies(t)...) {
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
