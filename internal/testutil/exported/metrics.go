// Package exported gathers the metric families the code registers (agent,
// webhook and relay), for tests that check names written elsewhere against
// them: the docs' metrics table (docs/metrics_test.go) and the chart's alerts
// and dashboard (test/e2e). It lives apart from testutil because it imports
// the instrumented packages, whose own tests import testutil.
package exported

import (
	"log/slog"
	"reflect"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	relaymetrics "github.com/fig-injector/fig-injector/injector/relay/metrics"
	"github.com/fig-injector/fig-injector/injector/status"
	"github.com/fig-injector/fig-injector/injector/webhook"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// MetricFamilies returns the agent's, the webhook's and the relay's metric
// families, in that order, each with its labelled series present.
func MetricFamilies(t testing.TB) []*dto.MetricFamily {
	t.Helper()
	return append(append(AgentFamilies(t), webhookFamilies(t)...), relayFamilies(t)...)
}

// AgentFamilies scrapes the agent's /metrics (written by hand, not by
// client_golang) after calling every method of status.Metrics once with
// zero arguments, so that labelled series exist whichever methods are
// added later. It includes the go_* and process_* series the agent serves.
func AgentFamilies(t testing.TB) []*dto.MetricFamily {
	t.Helper()
	metrics := status.NewMetrics()
	m := reflect.ValueOf(metrics)
	for i := range m.NumMethod() {
		method := m.Method(i)
		args := make([]reflect.Value, method.Type().NumIn())
		for j := range args {
			args[j] = reflect.Zero(method.Type().In(j))
		}
		method.Call(args)
	}
	byName, _ := testutil.Scrape(t, status.Handler(nil, metrics))
	families := make([]*dto.MetricFamily, 0, len(byName))
	for _, f := range byName {
		families = append(families, f)
	}
	return families
}

// webhookFamilies gathers the webhook's metrics from a fresh registry.
func webhookFamilies(t testing.TB) []*dto.MetricFamily {
	t.Helper()
	cfg, err := webhook.ParseConfig([]byte("image: example.com/fig-injector:test\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	webhook.NewHandler(cfg, nil, reg, slog.New(slog.DiscardHandler))
	return gather(t, reg)
}

// relayFamilies gathers the relay's metrics from a fresh registry after
// one call of each method, so labelled series exist.
func relayFamilies(t testing.TB) []*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := relaymetrics.New(reg, func() int { return 0 })
	m.Hook("SettingValueChanged", "ok")
	m.Subscription("accepted")
	m.Delivered(1)
	m.OfflineCopy("get", "ok")
	m.OfflineCopiesExpired(1)
	m.VaultPass("https://kv.vault.azure.net/", "ok", 1)
	return gather(t, reg)
}

func gather(t testing.TB, reg *prometheus.Registry) []*dto.MetricFamily {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return families
}
