package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Admission results, the values of the "result" label.
const (
	resultInjected  = "injected"  // the pod was patched
	resultUnchanged = "unchanged" // opted in and already injected (a reinvocation): empty patch
	resultSkipped   = "skipped"   // not ours: not a CREATE, excluded namespace, or not opted in
	resultDenied    = "denied"    // bad annotations or allowlist: the pod is refused
	resultError     = "error"     // the webhook failed (failurePolicy decides)
)

// metrics are the webhook's instruments, on a registry of its own (no
// global state: every Handler, and every test, has its own).
type metrics struct {
	admissions *prometheus.CounterVec
	latency    prometheus.Histogram
	refused    *prometheus.CounterVec
}

// Reasons a review is refused before it is read (reviewLimits), the values
// of the "reason" label.
const (
	refusedBusy     = "busy"      // the memory budget was full for reviewQueueWait: 429
	refusedTooLarge = "too_large" // the body is larger than the budget allows: 413
)

// newMetrics registers the instruments and the Go and process collectors on reg.
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		admissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fig_injector_webhook_admissions_total",
			Help: "Admission reviews handled, by result (injected, unchanged, skipped, denied, error).",
		}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "fig_injector_webhook_admission_duration_seconds",
			Help:    "Time to handle one admission review, from decoded request to response.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fig_injector_webhook_reviews_refused_total",
			Help: "Admission reviews refused before they were read, to stay within the memory limit, by reason (busy, too_large).",
		}, []string{"reason"}),
	}
	for _, r := range []string{refusedBusy, refusedTooLarge} {
		m.refused.WithLabelValues(r)
	}
	for _, r := range []string{resultInjected, resultUnchanged, resultSkipped, resultDenied, resultError} {
		m.admissions.WithLabelValues(r)
	}
	reg.MustRegister(m.admissions, m.latency, m.refused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(result string, d time.Duration) {
	m.admissions.WithLabelValues(result).Inc()
	m.latency.Observe(d.Seconds())
}
