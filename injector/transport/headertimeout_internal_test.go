package transport

import (
	"net/http"
	"testing"
	"time"
)

// TestLongRequestTimeoutRaisesHeaderTimeout: a client built for a slow
// server (Fig answering after reading Key Vault, fig.requestTimeout 60 s)
// must not give up at the default 20 s wait for response headers.
func TestLongRequestTimeoutRaisesHeaderTimeout(t *testing.T) {
	tests := []struct {
		timeout, want time.Duration
	}{
		{0, responseHeaderTimeout},
		{5 * time.Second, responseHeaderTimeout},
		{60 * time.Second, 60 * time.Second},
	}
	for _, tt := range tests {
		hc, err := New(Options{Timeout: tt.timeout})
		if err != nil {
			t.Fatal(err)
		}
		base := hc.Transport.(*roundTripper).base.(*http.Transport)
		if base.ResponseHeaderTimeout != tt.want {
			t.Errorf("Timeout %s: ResponseHeaderTimeout = %s, want %s", tt.timeout, base.ResponseHeaderTimeout, tt.want)
		}
	}
}
