package fig

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestValidateClientName(t *testing.T) {
	for _, ok := range []string{"OrderService", "My App", "a-b_c", strings.Repeat("x", 255)} {
		if err := validateClientName(ok); err != nil {
			t.Errorf("ValidateClientName(%q) = %v", ok, err)
		}
	}
	for _, c := range strings.Split(`^ $ . * + ? ( ) { } [ ] \ |`, " ") {
		if err := validateClientName("a" + c + "b"); err == nil || !strings.Contains(err.Error(), "contains") {
			t.Errorf("ValidateClientName with %q = %v", c, err)
		}
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", 256), strings.Repeat("😀", 128)} {
		if err := validateClientName(bad); err == nil {
			t.Errorf("ValidateClientName(%q) accepted", bad)
		}
	}
}

func TestValidateSecret(t *testing.T) {
	for _, ok := range []string{"01234567890123456789012345678901", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"} {
		if err := validateSecret(ok); err != nil {
			t.Errorf("ValidateSecret(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{strings.Repeat("a", 32), "0123456789", strings.Repeat("012345678", 4)} {
		err := validateSecret(bad)
		if err == nil || !errors.Is(err, errInvalidSecret) {
			t.Errorf("ValidateSecret(%q) = %v", bad, err)
		} else if strings.Contains(err.Error(), bad) {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 10, 0, 0, 300_000_000, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"120":                           120 * time.Second,
		"3600":                          time.Hour,
		"0":                             0,
		"-5":                            0,
		"soon":                          0,
		"Wed, 01 Jan 2025 10:02:00 GMT": 2 * time.Minute,
		"Wed, 01 Jan 2025 09:00:00 GMT": 0,
	}
	for in, want := range tests {
		h := http.Header{}
		if in != "" {
			h.Set("Retry-After", in)
		}
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
