//go:build e2e

package e2e

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// admissionCounts are the webhook's admissions_total by result.
type admissionCounts map[string]float64

func (a admissionCounts) total() float64 {
	var n float64
	for _, v := range a {
		n += v
	}
	return n
}

// admissions scrapes the webhook's /metrics.
func admissions(t *testing.T, base string) admissionCounts {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: env.ca.ClientTLSConfig()}}
	resp, err := hc.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := admissionCounts{}
	sc := bufio.NewScanner(resp.Body)
	const prefix = `fig_injector_webhook_admissions_total{result="`
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), prefix)
		if !ok {
			continue
		}
		result, value, _ := strings.Cut(line, `"} `)
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", sc.Text(), err)
		}
		out[result] = v
	}
	return out
}
