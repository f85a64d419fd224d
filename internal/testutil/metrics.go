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
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(raw))
	if err != nil {
		tb.Fatalf("parse /metrics: %v\n%s", err, raw)
	}
	return families, raw
}
