// Package metrics is the relay's Prometheus instrumentation, behind the
// small interfaces the other relay packages declare (hook.Metrics,
// kvwatch.Metrics, server.Metrics), so swapping the metrics library touches
// this package only. Labels carry routes, outcomes and vault host names, never a
// client secret, setting name or secret name.
package metrics

import (
	"net/url"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics implements hook.Metrics, kvwatch.Metrics, server.Metrics,
// fleet.Metrics and offlinestore.ExpiryMetrics.
type Metrics struct {
	hooks         *prometheus.CounterVec
	subscriptions *prometheus.CounterVec
	delivered     prometheus.Counter
	offline       *prometheus.CounterVec
	expired       prometheus.Counter
	subscribers   prometheus.GaugeFunc
	vaultPasses   *prometheus.CounterVec
	vaultRequests *prometheus.CounterVec
	vaultWatched  *prometheus.GaugeVec
	vaultLeader   prometheus.Gauge
}

// New registers the relay's metrics on reg; subscribers reports the open
// subscriptions.
func New(reg prometheus.Registerer, subscribers func() int) *Metrics {
	m := &Metrics{
		hooks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fig_injector_relay_webhooks_total",
			Help: "Fig web hooks received, by route and outcome (ok: subscribers woken, ignored, test, unauthorized, bad_request)."}, []string{"route", "outcome"}),
		subscriptions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fig_injector_relay_subscriptions_total",
			Help: "Subscription attempts, by outcome (accepted, refused)."}, []string{"outcome"}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{Name: "fig_injector_relay_events_delivered_total",
			Help: "Wake-up events written to subscribers (after coalescing)."}),
		offline: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fig_injector_relay_offline_copy_requests_total",
			Help: "Offline copy requests, by op (get, put, delete) and outcome (ok, not_found, unauthorized, forbidden, request_entity_too_large, bad_request, error, …)."}, []string{"op", "outcome"}),
		expired: prometheus.NewCounter(prometheus.CounterOpts{Name: "fig_injector_relay_offline_copies_expired_total",
			Help: "Offline copies deleted because no pod had uploaded them for the retention (--offline-retention)."}),
		subscribers: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fig_injector_relay_subscribers",
			Help: "Open subscriptions."}, func() float64 { return float64(subscribers()) }),
		vaultPasses: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fig_injector_relay_vault_list_passes_total",
			Help: "Key Vault list passes, by vault host and outcome (ok, forbidden, error)."}, []string{"vault", "outcome"}),
		vaultRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fig_injector_relay_vault_requests_total",
			Help: "Key Vault list requests (pages), by vault host."}, []string{"vault"}),
		vaultWatched: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "fig_injector_relay_vault_watched",
			Help: "1 while the relay lists the vault for its subscribers, 0 while they poll it themselves (see the log for why)."}, []string{"vault"}),
		vaultLeader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "fig_injector_relay_vault_leader",
			Help: "1 while this replica holds the relay's Lease and lists Key Vault for the whole cluster (exactly one replica should)."}),
	}
	reg.MustRegister(m.hooks, m.subscriptions, m.delivered, m.offline, m.expired, m.subscribers, m.vaultPasses, m.vaultRequests, m.vaultWatched, m.vaultLeader)
	return m
}

// Hook implements hook.Metrics.
func (m *Metrics) Hook(route, outcome string) { m.hooks.WithLabelValues(route, outcome).Inc() }

// Subscription implements server.Metrics.
func (m *Metrics) Subscription(outcome string) { m.subscriptions.WithLabelValues(outcome).Inc() }

// Delivered implements server.Metrics.
func (m *Metrics) Delivered(events int) { m.delivered.Add(float64(events)) }

// OfflineCopy implements server.Metrics.
func (m *Metrics) OfflineCopy(op, outcome string) { m.offline.WithLabelValues(op, outcome).Inc() }

// OfflineCopiesExpired implements offlinestore.ExpiryMetrics.
func (m *Metrics) OfflineCopiesExpired(n int) { m.expired.Add(float64(n)) }

// VaultPass implements kvwatch.Metrics.
func (m *Metrics) VaultPass(vault, outcome string, requests int) {
	if u, err := url.Parse(vault); err == nil && u.Host != "" {
		vault = u.Host // like the agent's labels: the vault's host name
	}
	m.vaultPasses.WithLabelValues(vault, outcome).Inc()
	m.vaultRequests.WithLabelValues(vault).Add(float64(requests))
	watched := 0.0
	if outcome == "ok" {
		watched = 1
	}
	m.vaultWatched.WithLabelValues(vault).Set(watched)
}

// VaultLeader implements fleet.Metrics. A replica that stops listing
// drops its vault_watched series: left at 1, they would look like a lister
// that hangs (FigInjectorRelayLagging).
func (m *Metrics) VaultLeader(leading bool) {
	if !leading {
		m.vaultLeader.Set(0)
		m.vaultWatched.Reset()
		return
	}
	m.vaultLeader.Set(1)
}
