package agent

import (
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source/fig"
	"github.com/fig-injector/fig-injector/injector/source/keyvault"
	"github.com/fig-injector/fig-injector/injector/status"
)

// staleAfter is how many poll intervals a source may go without a success
// before it counts as stale.
const staleAfter = 3

// health is the agent's state as probes, metrics and Fig's status see it. It
// is written by the pollers and the run loop and read by HTTP handlers, so
// every method locks.
type health struct {
	now     func() time.Time
	metrics *status.Metrics
	redact  *secret.Redactor

	mu      sync.Mutex
	ready   bool
	order   []string
	sources map[string]*sourceState
	outputs map[string]string // output path → last error ("" when fine)
	keys    []vaultKey
}

type sourceState struct {
	interval    time.Duration
	lastSuccess time.Time
	lastError   string
}

func newHealth(now func() time.Time, m *status.Metrics, r *secret.Redactor) *health {
	return &health{now: now, metrics: m, redact: r, sources: map[string]*sourceState{}, outputs: map[string]string{}}
}

// track registers a source under its metrics name.
func (h *health) track(name string, interval time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.sources[name]; ok {
		s.interval = interval
		return
	}
	h.sources[name] = &sourceState{interval: interval}
	h.order = append(h.order, name)
}

// succeeded records a successful exchange with a source.
func (h *health) succeeded(name string) {
	at := h.now()
	h.mu.Lock()
	if s, ok := h.sources[name]; ok {
		s.lastSuccess, s.lastError = at, ""
	}
	h.mu.Unlock()
	h.metrics.SetLastSuccess(name, at)
}

// failed records a failure. Its text is redacted here, once for every
// outlet that shows it: /healthz, /readyz and Fig's status.
func (h *health) failed(name string, err error) {
	msg := h.redact.Redact(err.Error())
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.sources[name]; ok {
		s.lastError = msg
	}
}

// keyVaultKeys records which configuration keys come from Key Vault, with
// the secret behind each (names, versions, update times — never values), for
// Fig's custom status properties.
func (h *health) keyVaultKeys(keys []vaultKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.keys = keys
}

// vaultKey is one Key Vault-backed configuration key.
type vaultKey struct {
	Key    string
	Secret keyvault.Secret
}

// output records an output's last write; an error's text is redacted as
// in failed.
func (h *health) output(path string, err error) {
	msg := ""
	if err != nil {
		msg = h.redact.Redact(err.Error())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.outputs[path] = msg
}

func (h *health) setReady() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ready = true
}

// Ready implements status.Health.
func (h *health) Ready() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ready
}

// Sources implements status.Health.
func (h *health) Sources() []status.SourceHealth {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]status.SourceHealth, 0, len(h.order))
	for _, name := range h.order {
		s := h.sources[name]
		out = append(out, status.SourceHealth{
			Name: name, LastSuccess: s.lastSuccess, LastError: s.lastError,
			Stale: s.lastSuccess.IsZero() || now.Sub(s.lastSuccess) > staleAfter*s.interval,
		})
	}
	return out
}

// Outputs implements status.Health.
func (h *health) Outputs() []status.OutputHealth {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]status.OutputHealth, 0, len(h.outputs))
	for _, path := range sortedKeys(h.outputs) {
		out = append(out, status.OutputHealth{Path: path, LastError: h.outputs[path]})
	}
	return out
}

// figHealth is the agent's health in Fig's terms: one component per source
// and per output, so Fig's UI shows what the pod's agent is going through.
func (h *health) figHealth() *fig.Health {
	sources := h.Sources()
	h.mu.Lock()
	defer h.mu.Unlock()
	hl := &fig.Health{Status: fig.HealthHealthy}
	worst := func(s fig.HealthStatus) { hl.Status = max(hl.Status, s) }
	for _, s := range sources {
		c := fig.HealthComponent{Name: s.Name, Status: fig.HealthHealthy, Message: stableMessage(s.LastError)}
		if s.LastError != "" || s.Stale {
			c.Status = fig.HealthDegraded
		}
		worst(c.Status)
		hl.Components = append(hl.Components, c)
	}
	for _, path := range sortedKeys(h.outputs) {
		c := fig.HealthComponent{Name: "output " + path, Status: fig.HealthHealthy, Message: stableMessage(h.outputs[path])}
		if h.outputs[path] != "" {
			c.Status = fig.HealthUnhealthy
		}
		if !h.ready {
			c.Status = fig.HealthUninitialized
		}
		worst(c.Status)
		hl.Components = append(hl.Components, c)
	}
	return hl
}

// Parts of error texts that differ from one failure to the next although
// nothing changed: GUIDs (request IDs, Fig's error references) and times.
var (
	guidText = regexp.MustCompile(`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)
	timeText = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?`)
)

// stableMessage is msg with its GUIDs and times masked, so the same failure
// reads the same at every poll: Fig logs an event and fires its
// HealthStatusChanged web hook whenever the health JSON changes
// (ClientRunSessionBusinessEntityExtensions.Update in Fig's API).
func stableMessage(msg string) string {
	msg = guidText.ReplaceAllString(msg, "<id>")
	return timeText.ReplaceAllString(msg, "<time>")
}

// figProperties lists every Key Vault-backed key with its secret's version
// and update time — never the value — so Fig's UI shows when a secret
// changed. Fig accepts 25 properties; the client trims beyond that.
func (h *health) figProperties() []fig.CustomProperty {
	h.mu.Lock()
	defer h.mu.Unlock()
	props := make([]fig.CustomProperty, 0, len(h.keys))
	for i, k := range h.keys {
		v := k.Secret.Version
		if len(v) > 8 {
			v = v[:8]
		}
		props = append(props, fig.CustomProperty{
			Name: k.Key, DisplayName: k.Key + " (Key Vault secret " + k.Secret.Name + ")",
			ValueType: fig.CustomString, Value: "version " + v + ", updated " + k.Secret.Updated.UTC().Format(time.RFC3339),
			Order: i,
		})
	}
	return props
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
