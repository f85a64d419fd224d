package dotnet

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFormatDouble(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{30, "30"},
		{30000, "30000"},
		{0.5, "0.5"},
		{1.5, "1.5"},
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{-2.25, "-2.25"},
		{sum(0.1, 0.2), "0.30000000000000004"},
		{0.0001, "0.0001"},
		{0.00001, "1E-05"},
		{0.000012345, "1.2345E-05"},
		{1e-7, "1E-07"},
		{123456789012345, "123456789012345"},
		{1e14, "100000000000000"},
		{1e15, "1E+15"},
		{1234567890123456, "1.234567890123456E+15"},
		{1e20, "1E+20"},
		{-1e20, "-1E+20"},
		{123456789012345678901, "1.2345678901234568E+20"},
		{math.MaxFloat64, "1.7976931348623157E+308"},
		{5e-324, "5E-324"},
		{1.7976931348623157e100, "1.7976931348623157E+100"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
	}
	for _, tt := range tests {
		if got := FormatDouble(tt.in); got != tt.want {
			t.Errorf("FormatDouble(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// sum adds at run time (constant arithmetic would be exact).
func sum(a, b float64) float64 { return a + b }

func TestNewtonsoftDouble(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{30000, "30000.0"}, {1.5, "1.5"}, {1e20, "1E+20"}, {0, "0.0"}, {1e-5, "1E-05"}, {math.NaN(), `"NaN"`}, {math.Inf(-1), `"-Infinity"`},
	}
	for _, tt := range tests {
		if got := NewtonsoftDouble(tt.in); got != tt.want {
			t.Errorf("NewtonsoftDouble(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTimeSpans(t *testing.T) {
	format := []struct {
		in   time.Duration
		want string
	}{
		{30 * time.Second, "00:00:30"},
		{5 * time.Minute, "00:05:00"},
		{26*time.Hour + 3*time.Minute + 4*time.Second + 500*time.Millisecond, "1.02:03:04.5000000"},
		{-90 * time.Second, "-00:01:30"},
		{1234 * time.Nanosecond, "00:00:00.0000012"},
		{0, "00:00:00"},
		{math.MinInt64, "-106751.23:47:16.8547758"},
	}
	for _, tt := range format {
		if got := FormatTimeSpan(tt.in); got != tt.want {
			t.Errorf("FormatTimeSpan(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	parse := []struct {
		in   string
		want time.Duration
	}{
		{"00:00:30", 30 * time.Second},
		{"1.02:03:04.5", 26*time.Hour + 3*time.Minute + 4*time.Second + 500*time.Millisecond},
		{"01:30", 90 * time.Minute},
		{"-00:00:01", -time.Second},
		{"3", 72 * time.Hour},
		{"30s", 30 * time.Second},
		{"1h30m", 90 * time.Minute},
	}
	for _, tt := range parse {
		got, err := ParseTimeSpan(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseTimeSpan(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "24:00:00", "00:60:00", "1:2:3:4", "abc", "00:00:00.12345678", "00:00.5", "1.2.3:00"} {
		if _, err := ParseTimeSpan(bad); err == nil {
			t.Errorf("ParseTimeSpan(%q) accepted", bad)
		}
	}
}

func TestNewtonsoftTime(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2025, 1, 1, 10, 0, 0, 123456700, time.UTC), "2025-01-01T10:00:00.1234567Z"},
		{time.Date(2025, 1, 1, 10, 0, 1, 234567890, time.UTC), "2025-01-01T10:00:01.2345678Z"},
		{time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC), "2025-01-01T10:00:00Z"},
		{time.Date(2025, 1, 1, 10, 0, 0, 500000000, time.UTC), "2025-01-01T10:00:00.5Z"},
		{time.Date(2025, 1, 1, 10, 0, 0, 0, time.FixedZone("", -5*3600-1800)), "2025-01-01T10:00:00-05:30"},
		{time.Time{}, "0001-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		if got := NewtonsoftTime(tt.in); got != tt.want {
			t.Errorf("NewtonsoftTime(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewtonsoftDateDetection(t *testing.T) {
	// Strings Newtonsoft's reader turns into DateTime (and how they print),
	// and strings it leaves alone.
	dates := map[string]string{
		"2024-05-01T10:00:00":            "05/01/2024 10:00:00",
		"2024-05-01T10:00:00Z":           "05/01/2024 10:00:00",
		"2024-05-01T10:00:00.1234567z":   "05/01/2024 10:00:00",
		"2024-05-01T10:00:00-0130":       "05/01/2024 11:30:00",
		"2024-05-01T10:00:00+02":         "05/01/2024 08:00:00",
		"2024-12-31T24:00:00":            "01/01/2025 00:00:00",
		"2024-02-29T00:00:00":            "02/29/2024 00:00:00",
		"/Date(0)/":                      "01/01/1970 00:00:00",
		"/Date(1714557600000+0200)/":     "05/01/2024 10:00:00",
		"2024-05-01T10:00:00:30":         "05/01/2024 10:00:00", // Newtonsoft's zone parser quirk
		"0001-01-01T00:00:00.0000001Z":   "01/01/0001 00:00:00",
		"9999-12-31T23:59:59.9999999Z":   "12/31/9999 23:59:59",
		"2024-05-01T10:00:00.123+05:45":  "05/01/2024 04:15:00",
		"2024-05-01T10:00:00.1234567890": "",
	}
	for in, want := range dates {
		d, ok := newtonsoftDate(in)
		got := ""
		if ok {
			got = d.invariantGeneral()
		}
		if got != want {
			t.Errorf("newtonsoftDate(%q) = %q, want %q", in, got, want)
		}
	}
	for _, s := range []string{"2024-05-01", "2024-05-01 10:00:00", "2023-02-29T00:00:00", "2024-13-01T00:00:00", "2024-05-01T10:00", "x024-05-01T10:00:00", "2024-05-01T10:00:00.", "2024-05-01T24:00:01", "/Date(x)/", "0000-01-01T00:00:00"} {
		if _, ok := newtonsoftDate(s); ok {
			t.Errorf("newtonsoftDate(%q) parsed; Newtonsoft leaves it a string", s)
		}
	}
}

func TestEscapeDataString(t *testing.T) {
	tests := map[string]string{
		"OrderService":  "OrderService",
		"My App":        "My%20App",
		"a/b?c&d=e#f%g": "a%2Fb%3Fc%26d%3De%23f%25g",
		"-_.~":          "-_.~",
		"!*'();:@+,":    "%21%2A%27%28%29%3B%3A%40%2B%2C",
		"Café":          "Caf%C3%A9",
	}
	for in, want := range tests {
		if got := EscapeDataString(in); got != want {
			t.Errorf("EscapeDataString(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAppendString(t *testing.T) {
	tests := map[string]string{
		`plain`:               `"plain"`,
		"q\"b\\":              `"q\"b\\"`,
		"<a&b>'":              `"<a&b>'"`,
		"\n\r\t\b\f\x01\x1f":  `"\n\r\t\b\f\u0001\u001f"`,
		"é\u2028\u2029\u0085": `"é\u2028\u2029\u0085"`,
		"bad\xffutf8":         "\"bad\ufffdutf8\"",
	}
	for in, want := range tests {
		if got := string(AppendString(nil, in)); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestTicks(t *testing.T) {
	tests := []struct {
		in   time.Time
		want int64
	}{
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Unix(0, 0), 621355968000000000},
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 638712864000000000}, // DateTime(2025,1,1).Ticks
		{time.Date(2025, 1, 1, 10, 0, 0, 123456789, time.UTC), 638713224001234567},
		{time.Date(2025, 1, 1, 12, 0, 0, 0, time.FixedZone("x", 2*3600)), 638713224000000000},
	}
	for _, tt := range tests {
		if got := Ticks(tt.in); got != tt.want {
			t.Errorf("Ticks(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestFlattenJSONErrors(t *testing.T) {
	deep := strings.Repeat("[", 65) + strings.Repeat("]", 65)
	for _, in := range []string{`"s"`, `1`, `{"":1}`, `{"a":1,"A":2}`, `{`, `[1 2]`, `{"a":1} x`, `{"a":01}`, `[tru]`, deep, `{"a":"\x"}`, "/* open"} {
		if _, err := FlattenJSON(in); err == nil {
			t.Errorf("FlattenJSON(%q) = nil error", in)
		}
	}
	ok := strings.Repeat("[", 64) + "1" + strings.Repeat("]", 64)
	if _, err := FlattenJSON(ok); err != nil {
		t.Errorf("depth 64: %v", err)
	}
	got, err := FlattenJSON(`{"a":{"":1},"s":"\u00e9\ud83d\ude00\n"}`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Leaf{{"a:", "1"}, {"s", "é😀\n"}}, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
