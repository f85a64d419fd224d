package status

import (
	"encoding/json"
	"net/http"
)

// healthBody is /healthz's answer.
type healthBody struct {
	// Status is "ok"; "stale" when any source is stale; "failing" when the
	// last write of any output failed, which the file's readers feel first.
	Status  string         `json:"status"`
	Sources []SourceHealth `json:"sources"`
	Outputs []OutputHealth `json:"outputs"`
}

// readyBody is /readyz's answer.
type readyBody struct {
	Ready  bool   `json:"ready"`
	Reason string `json:"reason,omitempty"`
	// Sources is set while not ready, so the probe's message says why
	// (for example Fig answering 401).
	Sources []SourceHealth `json:"sources,omitempty"`
}

// Handler serves the probes and metrics:
//
//   - GET /healthz: always 200 while the process can answer, with each
//     source's staleness and each output's last write error in the JSON
//     body (status "failing" while a write fails). Staleness is not a liveness
//     failure: when Fig or Key Vault is down, restarting the agent cannot
//     bring it back, would drop the last good values it is serving, and
//     would hammer the source on every restart. Alert on the metrics instead.
//   - GET /readyz: 200 once h.Ready(), else 503 with the reason. The
//     native sidecar's startup probe uses it, so app containers start only
//     with their file in place.
//   - GET /metrics: m (none when nil) and the go_* and process_* series in
//     the Prometheus text format.
func Handler(h Health, m *Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		body := healthBody{Status: "ok", Sources: h.Sources(), Outputs: h.Outputs()}
		if body.Sources == nil {
			body.Sources = []SourceHealth{}
		}
		if body.Outputs == nil {
			body.Outputs = []OutputHealth{}
		}
		for _, s := range body.Sources {
			if s.Stale {
				body.Status = "stale"
			}
		}
		for _, o := range body.Outputs {
			if o.LastError != "" {
				body.Status = "failing"
			}
		}
		writeJSON(w, http.StatusOK, body)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if h.Ready() {
			writeJSON(w, http.StatusOK, readyBody{Ready: true})
			return
		}
		var failing []SourceHealth
		for _, s := range h.Sources() {
			if s.LastError != "" {
				failing = append(failing, s)
			}
		}
		writeJSON(w, http.StatusServiceUnavailable, readyBody{
			Reason:  "the first complete render has not happened yet",
			Sources: failing,
		})
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		var t text
		if m != nil {
			m.write(&t)
		}
		writeGo(&t)
		writeProcess(&t)
		w.Header().Set("Content-Type", textContentType)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = t.WriteTo(w) // the scraper went away; nothing to do
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}
