package status

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
)

// textContentType is the Prometheus text exposition format, version 0.0.4:
// what every Prometheus-compatible scraper accepts.
const textContentType = "text/plain; version=0.0.4; charset=utf-8"

// text builds a Prometheus text exposition.
type text struct{ bytes.Buffer }

// family starts a metric family with its HELP and TYPE lines.
func (t *text) family(name, typ, help string) {
	t.WriteString("# HELP " + name + " ")
	t.WriteString(helpEscaper.Replace(help))
	t.WriteString("\n# TYPE " + name + " " + typ + "\n")
}

// sample writes one series; labels are name, value pairs.
func (t *text) sample(name string, v float64, labels ...string) {
	t.WriteString(name)
	for i := 0; i+1 < len(labels); i += 2 {
		if i == 0 {
			t.WriteByte('{')
		} else {
			t.WriteByte(',')
		}
		t.WriteString(labels[i] + `="` + labelEscaper.Replace(labels[i+1]) + `"`)
	}
	if len(labels) > 0 {
		t.WriteByte('}')
	}
	t.WriteByte(' ')
	t.WriteString(formatFloat(v))
	t.WriteByte('\n')
}

// single writes a family of one unlabelled series.
func (t *text) single(name, typ, help string, v float64) {
	t.family(name, typ, help)
	t.sample(name, v)
}

// histogram writes h as the family name: cumulative _bucket series up to
// le="+Inf", then _sum and _count.
func (t *text) histogram(name, help string, h histogram) {
	t.family(name, "histogram", help)
	var n uint64
	for i, c := range h.counts {
		n += c
		le := math.Inf(1)
		if i < len(h.bounds) {
			le = h.bounds[i]
		}
		t.sample(name+"_bucket", float64(n), "le", formatFloat(le))
	}
	t.sample(name+"_sum", h.sum)
	t.sample(name+"_count", float64(n))
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// formatFloat writes v as Prometheus does: shortest representation, and
// +Inf, -Inf, NaN spelled out.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// sortedKeys returns m's keys in order, so that scrapes list series
// the same way every time.
func sortedKeys[K interface{ ~string | ~[2]string }, V any](m map[K]V, less func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, less)
	return keys
}

// write appends m's families, sorted by name as client_golang's registry
// sorts them. A labelled family without series yet is left out, as
// client_golang leaves it out.
func (m *Metrics) write(t *text) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t.histogram(namespace+"_change_to_file_seconds", "Time from detecting a change to the new file being in place.", m.changeToFile)
	t.single(namespace+"_fig_offline_copy", "gauge", "1 while the Fig settings in the file come from the relay's encrypted offline copy (Fig was unreachable at start), 0 once they come from Fig.", m.figOffline)
	t.single(namespace+"_file_writes_total", "counter", "Output files replaced because their bytes changed.", m.fileWrites)
	name := namespace + "_notifications_total"
	t.family(name, "counter", "Notifications sent to the application after a change, by result (success, failure).")
	for _, r := range sortedKeys(m.notifications, strings.Compare) {
		t.sample(name, m.notifications[r], "result", r)
	}
	t.single(namespace+"_render_errors_total", "counter", "Renders that failed; the last good file was kept.", m.renderErrors)
	t.single(namespace+"_renders_total", "counter", "Renders attempted, successful or not.", m.renders)
	if len(m.lastSuccess) > 0 {
		name := namespace + "_source_last_success_timestamp_seconds"
		t.family(name, "gauge", "Unix time of the last successful fetch from each source (fig, or keyvault:<vault host>).")
		for _, s := range sortedKeys(m.lastSuccess, strings.Compare) {
			t.sample(name, m.lastSuccess[s], "source", s)
		}
	}
	if len(m.requests) > 0 {
		name := namespace + "_source_requests_total"
		t.family(name, "counter", "Requests to sources by source (fig, keyvault, entra) and HTTP status code, or \"error\" when no response came.")
		for _, k := range sortedKeys(m.requests, func(a, b [2]string) int { return slices.Compare(a[:], b[:]) }) {
			t.sample(name, m.requests[k], "code", k[1], "source", k[0])
		}
	}
}
