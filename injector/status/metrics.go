package status

import (
	"strconv"
	"sync"
	"time"
)

const namespace = "fig_injector"

// Notification results, the values of notifications_total's result label.
const (
	resultSuccess = "success"
	resultFailure = "failure"
)

// changeToFileBuckets are the upper bounds of change_to_file_seconds: 1 ms
// (a local change written at once) to 10 s (a slow source); the 100 ms
// target of SPEC §5 is a bucket edge.
var changeToFileBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Metrics records what the agent does. Every label value comes from a fixed
// set or a vault host, never from a secret or setting name. The methods are
// safe for concurrent use, and a nil *Metrics records nothing, so one-shot
// commands and tests need no metrics.
//
// It is written by hand rather than with client_golang: the agent runs in
// every pod, and client_golang with protobuf and prometheus/common was a
// fifth of the agent's binary for seven series and the text format
// (docs/benchmarks.md). Each agent has its own; nothing is global.
type Metrics struct {
	mu            sync.Mutex
	renders       float64
	renderErrors  float64
	requests      map[[2]string]float64 // by source, code
	lastSuccess   map[string]float64    // by source
	changeToFile  histogram
	fileWrites    float64
	figOffline    float64            // 1 while the Fig values come from the relay's offline copy
	notifications map[string]float64 // by result
}

// histogram is a Prometheus histogram: counts[i] observations fell at or
// below bounds[i] and above bounds[i-1] (not cumulative; the exposition sums
// them), counts[len(bounds)] above the last bound.
type histogram struct {
	bounds []float64
	counts []uint64
	sum    float64
}

func (h *histogram) observe(v float64) {
	i := 0
	for i < len(h.bounds) && v > h.bounds[i] {
		i++
	}
	h.counts[i]++
	h.sum += v
}

// NewMetrics creates the agent's metrics, all named fig_injector_*, served
// by Handler together with the standard go_* and process_* series (under
// their usual names so stock dashboards work).
func NewMetrics() *Metrics {
	return &Metrics{
		requests:     map[[2]string]float64{},
		lastSuccess:  map[string]float64{},
		changeToFile: histogram{bounds: changeToFileBuckets, counts: make([]uint64, len(changeToFileBuckets)+1)},
		// Show both results from the start, so rate() and alerts see a zero.
		notifications: map[string]float64{resultSuccess: 0, resultFailure: 0},
	}
}

// ObserveRender counts a render attempt, and a render error if err is set.
func (m *Metrics) ObserveRender(err error) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.renders++
	if err != nil {
		m.renderErrors++
	}
}

// ObserveRequest counts one request to a source: SourceFig, SourceKeyVault
// or SourceEntra (anything else is counted as "other"). status is the HTTP
// status code, or 0 when the request got no response (counted as "error").
func (m *Metrics) ObserveRequest(source string, status int) {
	if m == nil {
		return
	}
	code := "error"
	if status >= 100 && status <= 599 {
		code = strconv.Itoa(status)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{requestSource(source), code}]++
}

// SetLastSuccess records a successful fetch from source (SourceFig,
// SourceEntra or KeyVaultSource(vaultURL); anything else is recorded as
// "other") at the given time.
func (m *Metrics) SetLastSuccess(source string, at time.Time) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastSuccess[successSource(source)] = float64(at.UnixNano()) / 1e9
}

// ObserveChangeToFile records how long a detected change took to reach the
// file.
func (m *Metrics) ObserveChangeToFile(d time.Duration) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changeToFile.observe(d.Seconds())
}

// FileWritten counts an output file replaced with new bytes.
func (m *Metrics) FileWritten() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fileWrites++
}

// ObserveNotify counts a notification to the application, failed if err is
// set.
func (m *Metrics) ObserveNotify(err error) {
	if m == nil {
		return
	}
	result := resultSuccess
	if err != nil {
		result = resultFailure
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notifications[result]++
}

// SetFigOffline records whether the Fig values in the file come from the
// relay's offline copy (Fig was unreachable at start) rather than from Fig.
func (m *Metrics) SetFigOffline(offline bool) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.figOffline = 0
	if offline {
		m.figOffline = 1
	}
}
