package allowlist_test

import (
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/allowlist"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		uri              string
		allowHTTP, allIP bool
		reason           string // "" = valid
	}{
		{"https://fig-api.fig.svc:8080", false, false, ""},
		{"https://fig-api.fig.svc:8080/api", false, false, ""},
		{"http://fig-api.fig.svc", true, false, ""},
		{"http://fig-api.fig.svc", false, false, "is not https"},
		{"https://127.0.0.1:5051", false, true, ""},
		{"https://127.0.0.1:5051", true, false, "is an IP address"},
		{"https://[::1]:5051", false, true, ""},
		{"https://u:p@fig", false, false, "user info"},
		{"https://localhost", false, false, ""},
		{"https://fig.svc:99999", false, false, "invalid port"},
	}
	for _, tc := range tests {
		t.Run(tc.uri, func(t *testing.T) {
			err := allowlist.CheckURL(tc.uri, tc.allowHTTP, tc.allIP)
			switch {
			case tc.reason == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.reason != "" && (err == nil || !strings.Contains(err.Error(), tc.reason)):
				t.Errorf("got %v, want a reason containing %q", err, tc.reason)
			}
		})
	}
}

func TestCheckSuffix(t *testing.T) {
	tests := []struct {
		suffix  string
		allowIP bool
		reason  string // "" = valid
	}{
		{"vault.azure.net", false, ""},
		{"vault.azure.cn", false, ""},
		{"localhost", false, ""},
		{"127.0.0.1", true, ""},
		{"127.0.0.1", false, "is an IP address; set allowIpLiterals to allow it"},
		{"net", false, "is a top-level domain"},
		{"Vault.Azure.Net", false, "upper-case"},
		{"xn--vault-7vf.net", false, "punycode"},
		{"vault.azure.net.", false, "trailing dot"},
		{"vault.2130706433", false, "numeric host name"},
	}
	for _, tc := range tests {
		t.Run(tc.suffix, func(t *testing.T) {
			err := allowlist.CheckSuffix(tc.suffix, tc.allowIP)
			switch {
			case tc.reason == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.reason != "" && (err == nil || !strings.Contains(err.Error(), tc.reason)):
				t.Errorf("got %v, want a reason containing %q", err, tc.reason)
			}
		})
	}
}
