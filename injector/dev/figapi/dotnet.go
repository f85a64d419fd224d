package figapi

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// .NET text formats that Newtonsoft.Json writes and reads
// (contracts/fig-api.md §3.1).

// formatDouble writes f as Newtonsoft does: .NET's shortest round-trip "R"
// text, with ".0" added when it has no '.', 'E', NaN or Infinity
// (JsonConvert.EnsureDecimalPlace). quoted is true for NaN and the
// infinities, which Newtonsoft writes as JSON strings
// (FloatFormatHandling.String).
//
// .NET switches to scientific notation when the decimal point would sit
// more than max(digits, 15) places right of the first digit or more than 3
// places left of it (Number.Formatting FormatGeneral), with at least two
// exponent digits: 1E+15, 1.5E+20, 1E-05.
func formatDouble(f float64) (text string, quoted bool) {
	switch {
	case math.IsNaN(f):
		return "NaN", true
	case math.IsInf(f, 1):
		return "Infinity", true
	case math.IsInf(f, -1):
		return "-Infinity", true
	case f == 0:
		if math.Signbit(f) {
			return "-0.0", false
		}
		return "0.0", false
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	sign := ""
	if e[0] == '-' {
		sign, e = "-", e[1:]
	}
	mant, expText, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expText)
	pos := exp + 1 // digits left of the decimal point
	if pos > max(len(digits), 15) || pos < -3 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%sE%s%02d", sign, m, es, exp), false
	}
	var s string
	switch {
	case pos <= 0:
		s = "0." + strings.Repeat("0", -pos) + digits
	case pos >= len(digits):
		s = digits + strings.Repeat("0", pos-len(digits)) + ".0"
	default:
		s = digits[:pos] + "." + digits[pos:]
	}
	return sign + s, false
}

// formatDateTime writes t as Newtonsoft's IsoDateFormat with round-trip
// kind: "yyyy-MM-ddTHH:mm:ss.FFFFFFFK", so trailing fraction zeros go and
// the suffix is "Z", an offset or nothing.
func formatDateTime(t time.Time, z zone) string {
	t = t.Truncate(100 * time.Nanosecond)
	switch z {
	case zoneUTC:
		return t.UTC().Format("2006-01-02T15:04:05.9999999") + "Z"
	case zoneOffset:
		return t.Format("2006-01-02T15:04:05.9999999-07:00")
	default:
		return t.Format("2006-01-02T15:04:05.9999999")
	}
}

// formatTimeSpan writes d in .NET's constant ("c") format,
// [-][d.]hh:mm:ss[.fffffff], which TimeSpan.ToString() uses.
func formatTimeSpan(d time.Duration) string {
	ticks := int64(d / 100)
	var b strings.Builder
	if ticks < 0 {
		b.WriteByte('-')
	}
	u := uint64(ticks)
	if ticks < 0 {
		u = uint64(-(ticks + 1)) + 1 // math.MinInt64 safe
	}
	const perSecond = 10_000_000
	frac := u % perSecond
	secs := u / perSecond
	days := secs / 86400
	secs %= 86400
	if days > 0 {
		fmt.Fprintf(&b, "%d.", days)
	}
	fmt.Fprintf(&b, "%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	if frac != 0 {
		fmt.Fprintf(&b, ".%07d", frac)
	}
	return b.String()
}

var timeSpanPattern = regexp.MustCompile(`^\s*(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?\s*$`)

// parseTimeSpan reads the forms TimeSpan.Parse accepts that matter here:
// [-][d.]hh:mm[:ss[.fffffff]] and a bare number of days.
func parseTimeSpan(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32); err == nil {
		return time.Duration(n) * 24 * time.Hour, nil
	}
	m := timeSpanPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("time span %q: want [-][d.]hh:mm[:ss[.fffffff]]", s)
	}
	num := func(t string) int64 { n, _ := strconv.ParseInt(t, 10, 64); return n }
	h, mi, sec := num(m[3]), num(m[4]), num(m[5])
	if h > 23 || mi > 59 || sec > 59 {
		return 0, fmt.Errorf("time span %q: component out of range", s)
	}
	frac := m[6]
	ticks := num(frac + strings.Repeat("0", 7-len(frac)))
	if frac == "" {
		ticks = 0
	}
	total := ((num(m[2])*24+h)*60+mi)*60 + sec
	d := time.Duration(total)*time.Second + time.Duration(ticks)*100
	if m[1] == "-" {
		d = -d
	}
	return d, nil
}

// parseDateTime reads an ISO 8601 date-time as Newtonsoft does with
// DateTimeZoneHandling.RoundtripKind: "Z" is UTC, an offset is a local
// time, no suffix is unspecified. A date alone is midnight, unspecified.
func parseDateTime(s string) (time.Time, zone, error) {
	if t, err := time.Parse("2006-01-02T15:04:05.999999999Z07:00", s); err == nil {
		if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
			return t.UTC(), zoneUTC, nil
		}
		return t, zoneOffset, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, zoneUnspecified, nil
		}
	}
	return time.Time{}, 0, fmt.Errorf("date-time %q: want ISO 8601 like 2024-05-01T10:00:00Z", s)
}

// utcInstant returns the UTC instant a parsed date-time names; an
// unspecified time is taken as UTC, which is what a client that follows the
// contract (§5.1) means by it.
func utcInstant(t time.Time, z zone) time.Time {
	if z == zoneUnspecified {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	}
	return t.UTC()
}
