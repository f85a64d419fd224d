package keyvault

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"none", nil, 0},
		{"seconds", map[string]string{"Retry-After": "120"}, 120 * time.Second},
		{"http date", map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second},
		{"date in the past", map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{"milliseconds win", map[string]string{"Retry-After": "120", "retry-after-ms": "1500"}, 1500 * time.Millisecond},
		{"x-ms milliseconds", map[string]string{"x-ms-retry-after-ms": "250"}, 250 * time.Millisecond},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0},
		{"negative", map[string]string{"Retry-After": "-5"}, 0},
		// Issue 12 item 5: values whose conversion overflowed int64.
		{"seconds beyond int64 nanoseconds", map[string]string{"Retry-After": "10000000000"}, maxRetryAfter},
		{"milliseconds beyond int64 nanoseconds", map[string]string{"retry-after-ms": "9223372036854775807"}, maxRetryAfter},
		{"a date centuries ahead", map[string]string{"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, maxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{Header: http.Header{}}
			for k, v := range tt.header {
				resp.Header.Set(k, v)
			}
			if got := retryAfter(resp, now); got != tt.want {
				t.Errorf("retryAfter = %v, want %v", got, tt.want)
			}
		})
	}
	if retryAfter(nil, now) != 0 {
		t.Error("nil response")
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, body, code, want string
		status                 int
	}{
		{"key vault error", `{"error":{"code":"SecretNotFound","message":"A secret with (name/id) x was not found in this key vault."}}`, "SecretNotFound", "SecretNotFound: A secret with (name/id) x was not found in this key vault.", 404},
		{"entra error", `{"error":"invalid_client","error_description":"AADSTS700213: No matching federated identity record found.\r\nTrace ID: 1"}`, "", "invalid_client: AADSTS700213: No matching federated identity record found. Trace ID: 1", 400},
		{"not an error body", `{"value":"s3cr3t"}`, "", "Internal Server Error", 500},
		{"html", `<html>s3cr3t</html>`, "", "Bad Gateway", 502},
		{"long message", `{"error":{"code":"X","message":"` + strings.Repeat("m", 400) + `"}}`, "", "X: " + strings.Repeat("m", maxMessage) + "…", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body))}
			if got := sanitize(resp, tt.status, tt.code).Error(); got != tt.want {
				t.Errorf("sanitize = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzRetryAfter: whatever the headers say, the wait is within
// [0, maxRetryAfter] (issue 12 item 5: the conversion used to overflow).
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "1000000000", "9223372036854775807", "-1", "Fri, 31 Dec 9999 23:59:59 GMT", "soon", ""} {
		f.Add(s, s)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, retryAfterHeader, ms string) {
		resp := &http.Response{Header: http.Header{}}
		resp.Header.Set("Retry-After", retryAfterHeader)
		resp.Header.Set("Retry-After-Ms", ms)
		if d := retryAfter(resp, now); d < 0 || d > maxRetryAfter {
			t.Fatalf("retryAfter(%q, %q ms) = %v", retryAfterHeader, ms, d)
		}
	})
}
