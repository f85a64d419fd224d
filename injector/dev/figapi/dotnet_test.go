package figapi

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestFormatDouble(t *testing.T) {
	cases := []struct {
		in     float64
		want   string
		quoted bool
	}{
		{0, "0.0", false},
		{math.Copysign(0, -1), "-0.0", false},
		{1, "1.0", false},
		{-1.5, "-1.5", false},
		{30000, "30000.0", false},
		{0.1, "0.1", false},
		{1.0 / 3, "0.3333333333333333", false},
		{1e14, "100000000000000.0", false},
		{123456789012345, "123456789012345.0", false},
		{1e15, "1E+15", false},
		{1234567890123456.8, "1234567890123456.8", false},
		{12345678901234567890, "1.2345678901234567E+19", false},
		{1e20, "1E+20", false},
		{-2.5e21, "-2.5E+21", false},
		{0.0001, "0.0001", false},
		{0.00012, "0.00012", false},
		{1e-5, "1E-05", false},
		{1.5e-7, "1.5E-07", false},
		{5e-324, "5E-324", false},
		{math.MaxFloat64, "1.7976931348623157E+308", false},
		{math.NaN(), "NaN", true},
		{math.Inf(1), "Infinity", true},
		{math.Inf(-1), "-Infinity", true},
	}
	for _, c := range cases {
		got, quoted := formatDouble(c.in)
		if got != c.want || quoted != c.quoted {
			t.Errorf("formatDouble(%v) = %q, %v; want %q, %v", c.in, got, quoted, c.want, c.quoted)
		}
	}
}

func TestFormatDateTime(t *testing.T) {
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		t    time.Time
		z    zone
		want string
	}{
		{base, zoneUTC, "2024-05-01T10:00:00Z"},
		{base.Add(1234567800), zoneUTC, "2024-05-01T10:00:01.2345678Z"},
		{base.Add(1234567899), zoneUTC, "2024-05-01T10:00:01.2345678Z"},
		{base.Add(100), zoneUTC, "2024-05-01T10:00:00.0000001Z"},
		{base.Add(10 * time.Millisecond), zoneUnspecified, "2024-05-01T10:00:00.01"},
		{base.In(time.FixedZone("", -(3*3600 + 1800))), zoneOffset, "2024-05-01T06:30:00-03:30"},
		{base, zoneOffset, "2024-05-01T10:00:00+00:00"},
		{time.Time{}, zoneUnspecified, "0001-01-01T00:00:00"},
	}
	for _, c := range cases {
		if got := formatDateTime(c.t, c.z); got != c.want {
			t.Errorf("formatDateTime(%v, %d) = %q, want %q", c.t, c.z, got, c.want)
		}
	}
}

func TestParseDateTime(t *testing.T) {
	cases := []struct {
		in   string
		z    zone
		utc  time.Time
		fail bool
	}{
		{in: "2025-01-01T10:00:01.2345678Z", z: zoneUTC, utc: time.Date(2025, 1, 1, 10, 0, 1, 234567800, time.UTC)},
		{in: "2025-01-01T10:00:01.123456789Z", z: zoneUTC, utc: time.Date(2025, 1, 1, 10, 0, 1, 123456789, time.UTC)},
		{in: "2025-01-01T12:00:00+02:00", z: zoneOffset, utc: time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)},
		{in: "2025-01-01T10:00:00", z: zoneUnspecified, utc: time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)},
		{in: "2025-01-01", z: zoneUnspecified, utc: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{in: "01/01/2025", fail: true},
	}
	for _, c := range cases {
		got, z, err := parseDateTime(c.in)
		if c.fail {
			if err == nil {
				t.Errorf("parseDateTime(%q) succeeded", c.in)
			}
			continue
		}
		if err != nil || z != c.z || !utcInstant(got, z).Equal(c.utc) {
			t.Errorf("parseDateTime(%q) = %v, %d, %v; want %v, %d", c.in, got, z, err, c.utc, c.z)
		}
	}
}

func TestTimeSpanRoundTrip(t *testing.T) {
	cases := []struct {
		d    time.Duration
		text string
	}{
		{0, "00:00:00"},
		{30 * time.Second, "00:00:30"},
		{5 * time.Minute, "00:05:00"},
		{26*time.Hour + 3*time.Minute + 4500*time.Millisecond, "1.02:03:04.5000000"},
		{-(90 * time.Minute), "-01:30:00"},
		{-(26*time.Hour + 100), "-1.02:00:00.0000001"},
		{100 * 24 * time.Hour, "100.00:00:00"},
	}
	for _, c := range cases {
		if got := formatTimeSpan(c.d); got != c.text {
			t.Errorf("formatTimeSpan(%v) = %q, want %q", c.d, got, c.text)
		}
		back, err := parseTimeSpan(c.text)
		if err != nil || back != c.d {
			t.Errorf("parseTimeSpan(%q) = %v, %v; want %v", c.text, back, err, c.d)
		}
	}
	if got := formatTimeSpan(math.MinInt64); got != "-106751.23:47:16.8547758" {
		t.Errorf("formatTimeSpan(min) = %q", got)
	}
	for in, want := range map[string]time.Duration{"3": 72 * time.Hour, "1:02": time.Hour + 2*time.Minute, "0:0:1.5": 1500 * time.Millisecond} {
		if got, err := parseTimeSpan(in); err != nil || got != want {
			t.Errorf("parseTimeSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1:60", "24:00:00", "1.2.3", "00:00:00.12345678"} {
		if _, err := parseTimeSpan(bad); err == nil {
			t.Errorf("parseTimeSpan(%q) succeeded", bad)
		}
	}
}

func TestCanonicalType(t *testing.T) {
	cases := []struct {
		in, want string
		kind     Kind
	}{
		{"System.String", "System.String", KindString},
		{"System.String, System.Private.CoreLib, Version=8.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e", "System.String", KindString},
		{"System.Nullable`1[[System.Int32, System.Private.CoreLib, Version=8.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e]], System.Private.CoreLib, Version=8.0.0.0", "System.Nullable`1[System.Int32]", KindInt},
		{"System.Nullable`1[System.Double]", "System.Nullable`1[System.Double]", KindDouble},
		{"System.Collections.Generic.List`1[[System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib]], System.Private.CoreLib", netDataGrid, KindDataGrid},
		{"System.Collections.Generic.List`1[System.Collections.Generic.Dictionary`2[System.String,System.Object]]", netDataGrid, KindDataGrid},
		{"System.Collections.Generic.List`1[System.String]", "System.Collections.Generic.List`1[System.String]", KindNone},
		{"System.Decimal", "System.Decimal", KindNone},
	}
	for _, c := range cases {
		got, err := canonicalType(c.in)
		if err != nil || got != c.want {
			t.Errorf("canonicalType(%q) = %q, %v; want %q", c.in, got, err, c.want)
			continue
		}
		if k, _ := kindOfNetType(got); k != c.kind {
			t.Errorf("kind of %q = %v, want %v", got, k, c.kind)
		}
	}
	for _, bad := range []string{"", "List`1[[System.String", "A[B]C", ", x"} {
		if got, err := canonicalType(bad); err == nil {
			t.Errorf("canonicalType(%q) = %q, want an error", bad, got)
		}
	}
}

func TestStringEscaping(t *testing.T) {
	w := &wire{}
	w.str("a\"b\\c\n\r\t\b\f\x00\x1f\x7f<>&'é\u0085\u2028\u2029😀\xff")
	want := `"a\"b\\c\n\r\t\b\f\u0000\u001f` + "\x7f" + `<>&'é\u0085\u2028\u2029😀` + "\ufffd" + `"`
	if string(w.b) != want {
		t.Errorf("escaped\n got %s\nwant %s", w.b, want)
	}
}

func TestSecretRules(t *testing.T) {
	cases := map[string]bool{
		"01234567890123456789012345678901":     true,
		"3f2504e0-4f89-11d3-9a0c-0305e82c3301": true,
		strings.Repeat("a", 32):                false,
		"0123456789012345678901234567890":      false, // 31
		strings.Repeat("ab", 20):               false,
		strings.Repeat("é", 22) + "0123456789": true, // counted in UTF-16 units
	}
	for s, want := range cases {
		if got := validSecretFormat(s); got != want {
			t.Errorf("validSecretFormat(%q) = %v, want %v", s, got, want)
		}
	}
	h := hashSecret("3f2504e0-4f89-11d3-9a0c-0305e82c3301")
	if !h.matches("3f2504e0-4f89-11d3-9a0c-0305e82c3301") || h.matches("3f2504e0-4f89-11d3-9a0c-0305e82c3302") {
		t.Error("hash does not match its secret only")
	}
	if h2 := hashSecret("3f2504e0-4f89-11d3-9a0c-0305e82c3301"); h2.sum == h.sum {
		t.Error("two hashes of one secret are equal: no salt")
	}
}

// TestStoreHoldsNoPlainSecret registers a client and searches the stored
// group for the secret's bytes.
func TestStoreHoldsNoPlainSecret(t *testing.T) {
	const sec = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	s := New(Options{})
	if err := s.Seed(ClientSeed{Name: "A", Secret: sec, Settings: []SettingSeed{{Name: "X", Value: Int(1)}}}); err != nil {
		t.Fatal(err)
	}
	g := s.clients["A"]
	dump := string(g.secret.salt[:]) + string(g.secret.sum[:]) + g.name + g.settingsKey
	if strings.Contains(dump, sec) || strings.Contains(strings.ToLower(dump), "3f2504e0") {
		t.Error("the stored group holds the plain secret")
	}
}

func TestCanonicalDefinition(t *testing.T) {
	a, err := parseTree([]byte(`{"Name":"X","Description":"d","Group":null,"DefaultValue":{"$type":"T","Value":1},"Value":{"$type":"T","Value":2}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseTree([]byte(`{"defaultValue":{"value":1,"$type":"T"},"description":"d","name":"X"}`))
	if err != nil {
		t.Fatal(err)
	}
	if ca, cb := a.canonical("value"), b.canonical("value"); ca != cb {
		t.Errorf("canonical forms differ:\n%s\n%s", ca, cb)
	}
	if _, err := parseTree([]byte(`{"a":1} {}`)); err == nil {
		t.Error("trailing JSON accepted")
	}
	if _, err := parseTree([]byte(strings.Repeat("[", 100) + strings.Repeat("]", 100))); err == nil {
		t.Error("deep nesting accepted")
	}
}
