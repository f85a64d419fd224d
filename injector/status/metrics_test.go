package status

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"

	"github.com/fig-injector/fig-injector/internal/testutil"
)

// scrape fetches /metrics through Handler, parsed as Prometheus parses it.
func scrape(t *testing.T, m *Metrics) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	return testutil.Scrape(t, Handler(&fakeHealth{}, m))
}

// sample is one series of a family, flattened for comparison.
type sample struct {
	Labels string // name=value pairs, sorted
	Value  float64
}

func samples(f *dto.MetricFamily) []sample {
	var out []sample
	for _, m := range f.GetMetric() {
		var pairs []string
		for _, l := range m.GetLabel() {
			pairs = append(pairs, l.GetName()+"="+l.GetValue())
		}
		slices.Sort(pairs)
		s := sample{Labels: strings.Join(pairs, ",")}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			s.Value = m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			s.Value = m.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			s.Value = float64(m.GetHistogram().GetSampleCount())
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b sample) int { return strings.Compare(a.Labels, b.Labels) })
	return out
}

func TestMetricsExposition(t *testing.T) {
	m := NewMetrics()
	at := time.Unix(1767225600, 500_000_000)

	m.ObserveRender(nil)
	m.ObserveRender(nil)
	m.ObserveRender(errors.New("keyvault: secret db-password missing"))
	m.ObserveRequest(SourceFig, 200)
	m.ObserveRequest(SourceFig, 200)
	m.ObserveRequest(SourceKeyVault, 429)
	m.ObserveRequest(SourceEntra, 0)
	m.ObserveRequest("db-password", 200) // a mistake must not leak the name
	m.SetLastSuccess(SourceFig, at)
	m.SetLastSuccess(KeyVaultSource("https://Orders-KV.vault.azure.net/secrets/db-password/0123abcd"), at)
	m.SetLastSuccess("keyvault:orders-kv.vault.azure.net/secrets/db-password", at)
	m.ObserveChangeToFile(3 * time.Millisecond)
	m.ObserveChangeToFile(40 * time.Millisecond)
	m.FileWritten()
	m.SetFigOffline(true)
	m.ObserveNotify(nil)
	m.ObserveNotify(errors.New("send SIGHUP to \"dotnet\": no such process"))
	m.ObserveNotify(nil)

	families, raw := scrape(t, m)
	type family struct {
		Type    dto.MetricType
		Samples []sample
	}
	want := map[string]family{
		"fig_injector_renders_total":       {dto.MetricType_COUNTER, []sample{{"", 3}}},
		"fig_injector_render_errors_total": {dto.MetricType_COUNTER, []sample{{"", 1}}},
		"fig_injector_source_requests_total": {dto.MetricType_COUNTER, []sample{
			{"code=200,source=fig", 2},
			{"code=200,source=other", 1},
			{"code=429,source=keyvault", 1},
			{"code=error,source=entra", 1},
		}},
		"fig_injector_source_last_success_timestamp_seconds": {dto.MetricType_GAUGE, []sample{
			{"source=fig", 1767225600.5},
			{"source=keyvault:orders-kv.vault.azure.net", 1767225600.5},
			{"source=other", 1767225600.5},
		}},
		"fig_injector_change_to_file_seconds": {dto.MetricType_HISTOGRAM, []sample{{"", 2}}},
		"fig_injector_file_writes_total":      {dto.MetricType_COUNTER, []sample{{"", 1}}},
		"fig_injector_fig_offline_copy":       {dto.MetricType_GAUGE, []sample{{"", 1}}},
		"fig_injector_notifications_total": {dto.MetricType_COUNTER, []sample{
			{"result=failure", 1},
			{"result=success", 2},
		}},
	}
	got := map[string]family{}
	for name, f := range families {
		if strings.HasPrefix(name, "fig_injector_") {
			got[name] = family{f.GetType(), samples(f)}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fig_injector_* families (-want +got):\n%s", diff)
	}

	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := families[name]; !ok {
			t.Errorf("%s missing: the go/process collectors are not registered", name)
		}
	}
	if strings.Contains(raw, "db-password") || strings.Contains(raw, "0123abcd") {
		t.Errorf("a secret name or version reached /metrics:\n%s", raw)
	}
}

func TestChangeToFileBuckets(t *testing.T) {
	families, _ := scrape(t, NewMetrics())
	var got []float64
	for _, b := range families["fig_injector_change_to_file_seconds"].GetMetric()[0].GetHistogram().GetBucket() {
		got = append(got, b.GetUpperBound())
	}
	want := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, math.Inf(1)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("buckets (-want +got):\n%s", diff)
	}
}

func TestLabelValuesAreFixed(t *testing.T) {
	tests := []struct {
		in          string
		wantRequest string
		wantSuccess string
	}{
		{SourceFig, "fig", "fig"},
		{SourceKeyVault, "keyvault", "keyvault"},
		{SourceEntra, "entra", "entra"},
		{"keyvault:orders-kv.vault.azure.net", "other", "keyvault:orders-kv.vault.azure.net"},
		{"keyvault:kv.vault.azure.net/secrets/db-password", "other", "other"},
		{"keyvault:KV.vault.azure.net", "other", "other"},
		{"keyvault:", "other", "other"},
		{"db-password", "other", "other"},
		{"", "other", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := requestSource(tt.in); got != tt.wantRequest {
				t.Errorf("requestSource(%q) = %q, want %q", tt.in, got, tt.wantRequest)
			}
			if got := successSource(tt.in); got != tt.wantSuccess {
				t.Errorf("successSource(%q) = %q, want %q", tt.in, got, tt.wantSuccess)
			}
		})
	}
}

func TestKeyVaultSource(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://orders-kv.vault.azure.net/", "keyvault:orders-kv.vault.azure.net"},
		{"https://Orders-KV.vault.azure.net", "keyvault:orders-kv.vault.azure.net"},
		{"https://orders-kv.vault.azure.net/secrets/db-password/0123abcd", "keyvault:orders-kv.vault.azure.net"},
		{"https://127.0.0.1:8443/", "keyvault:127.0.0.1"},
		{"https://user:pw@kv.vault.azure.net/", "keyvault:kv.vault.azure.net"},
		{"not a url", "keyvault:invalid"},
		{"://", "keyvault:invalid"},
	}
	for _, tt := range tests {
		if got := KeyVaultSource(tt.in); got != tt.want {
			t.Errorf("KeyVaultSource(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMetricsAreNotShared(t *testing.T) {
	// Two agents in one process (tests) each get their own metrics.
	a, b := NewMetrics(), NewMetrics()
	a.FileWritten()
	families, _ := scrape(t, b)
	if got := families["fig_injector_file_writes_total"].GetMetric()[0].GetCounter().GetValue(); got != 0 {
		t.Errorf("a write counted by one Metrics shows in another: %v", got)
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.ObserveRender(errors.New("x"))
	m.ObserveRequest(SourceFig, 200)
	m.SetLastSuccess(SourceFig, time.Now())
	m.ObserveChangeToFile(time.Millisecond)
	m.FileWritten()
	m.ObserveNotify(nil)
}

func TestChangeToFileCountsCumulatively(t *testing.T) {
	m := NewMetrics()
	m.ObserveChangeToFile(3 * time.Millisecond)
	m.ObserveChangeToFile(40 * time.Millisecond)
	m.ObserveChangeToFile(50 * time.Millisecond) // on a bound: counted in it
	m.ObserveChangeToFile(time.Minute)
	families, _ := scrape(t, m)
	h := families["fig_injector_change_to_file_seconds"].GetMetric()[0].GetHistogram()
	got := map[float64]uint64{}
	for _, b := range h.GetBucket() {
		got[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	want := map[float64]uint64{.001: 0, .0025: 0, .005: 1, .01: 1, .025: 1, .05: 3, .1: 3, .25: 3, .5: 3, 1: 3, 2.5: 3, 5: 3, 10: 3, math.Inf(1): 4}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cumulative buckets (-want +got):\n%s", diff)
	}
	if h.GetSampleCount() != 4 || math.Abs(h.GetSampleSum()-60.093) > 1e-9 {
		t.Errorf("count %d, sum %v; want 4, 60.093", h.GetSampleCount(), h.GetSampleSum())
	}
}
