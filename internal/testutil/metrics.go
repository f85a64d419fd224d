package testutil

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape GETs /metrics from h and parses the answer with Prometheus' own
// text parser, so that a test reads what a Prometheus server would. It also
// returns the raw text.
func Scrape(tb testing.TB, h http.Handler) (map[string]*dto.MetricFamily, string) {
	tb.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain") // the classic text format
	h.ServeHTTP(rec, req)
	raw := rec.Body.String()
	if rec.Code != http.StatusOK {
		tb.Fatalf("GET /metrics: %d\n%s", rec.Code, raw)
	}
	return ParseMetrics(tb, raw), raw
}

// ParseMetrics parses a /metrics answer in the classic text format with
// Prometheus' own parser, for metrics fetched some other way (a pod's
// /metrics through the API server's proxy).
func ParseMetrics(tb testing.TB, raw string) map[string]*dto.MetricFamily {
	tb.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(raw))
	if err != nil {
		tb.Fatalf("parse /metrics: %v\n%s", err, raw)
	}
	return families
}
