package agent

import "testing"

// TestStableMessage: what changes between two identical failures (request
// IDs, Fig's error references, times) is masked, so Fig does not log a
// health change at every poll; the rest of the message stays.
func TestStableMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"GET /clients/A/settings: 500 (Fig reference 6A1F7C2E-0B9D-4A57-9A55-2C6F0D7F4E11)", "GET /clients/A/settings: 500 (Fig reference <id>)"},
		{"Key Vault: 429, x-ms-request-id 0b6c7d2e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "Key Vault: 429, x-ms-request-id <id>"},
		{"token expired at 2026-12-06T07:51:01.123Z", "token expired at <time>"},
		{"not before 2026-12-06 07:51:01+01:00", "not before <time>"},
		{"cannot reach the Fig API at fig:8080", "cannot reach the Fig API at fig:8080"},
	}
	for _, tt := range tests {
		if got := stableMessage(tt.in); got != tt.want {
			t.Errorf("stableMessage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
