package webhook

import (
	"bytes"
	"io"
	"os"
	"slices"
	"testing"
	"time"
)

// BenchmarkAdmission measures one admission review of a typical pod (a
// ReplicaSet's pod with a service-account volume, Fig and Key Vault
// annotations) as the API server sends it: HTTPS POST on a kept-alive
// connection, decode, parse, mutate, diff, encode. It reports the median and
// 99th percentile latency per review.
func BenchmarkAdmission(b *testing.B) {
	body, err := os.ReadFile("testdata/admissionreview-pod.json")
	if err != nil {
		b.Fatal(err)
	}
	s := startServer(b, testConfig, nil)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		resp, err := s.client.Post(s.url+"/mutate", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
