package dotnet

import (
	"strconv"
	"strings"
	"time"
)

// dateKind is .NET's DateTimeKind, plus the offset a value was written with.
type dateKind uint8

const (
	kindUnspecified dateKind = iota // no zone on the wire
	kindUTC                         // "Z"
	kindOffset                      // "+hh:mm" / "-hh:mm"
)

// Date is a .NET DateTime as read from JSON: wall-clock fields to the
// tick, and how the zone was written. wall holds the fields in time.UTC so
// that Go's calendar arithmetic applies; it is not necessarily a UTC instant.
type Date struct {
	wall   time.Time
	kind   dateKind
	offset int // seconds east of UTC, kindOffset only
}

// minNetTime and maxNetTime bound .NET's DateTime (years 1 to 9999).
var (
	minNetTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxNetTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// parseNewtonsoftISO is Newtonsoft.Json's DateTimeParser as
// DateTimeUtils.TryParseDateTime uses it when a JSON string is read with
// DateParseHandling.DateTime (its default): the text must be 19 to 40
// characters, start with a digit and have 'T' at index 10, then be exactly
// yyyy-MM-ddTHH:mm:ss[.f{1,7}][Z|±HH[[:]mm]] (hour 24 allowed at 24:00:00).
func parseNewtonsoftISO(s string) (Date, bool) {
	if len(s) < 19 || len(s) > 40 || s[0] < '0' || s[0] > '9' || s[10] != 'T' {
		return Date{}, false
	}
	num := func(at, n int) (int, bool) {
		if at+n > len(s) {
			return 0, false
		}
		v := 0
		for i := at; i < at+n; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	char := func(at int, c byte) bool { return at < len(s) && s[at] == c }

	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	if !ok1 || !ok2 || !ok3 || !char(4, '-') || !char(7, '-') || year < 1 || month < 1 || month > 12 ||
		day < 1 || day > daysIn(year, month) {
		return Date{}, false
	}
	hour, ok1 := num(11, 2)
	minute, ok2 := num(14, 2)
	second, ok3 := num(17, 2)
	if !ok1 || !ok2 || !ok3 || !char(13, ':') || !char(16, ':') || hour > 24 || minute >= 60 || second >= 60 ||
		(hour == 24 && (minute != 0 || second != 0)) {
		return Date{}, false
	}
	pos := 19
	frac := 0
	if char(pos, '.') {
		digits := 0
		for pos++; pos < len(s) && digits < 7; pos++ {
			c := s[pos]
			if c < '0' || c > '9' {
				break
			}
			frac = frac*10 + int(c-'0')
			digits++
		}
		if digits == 0 {
			return Date{}, false
		}
		for ; digits < 7; digits++ {
			frac *= 10
		}
		if hour == 24 && frac != 0 {
			return Date{}, false
		}
	}
	d := Date{kind: kindUnspecified}
	if pos < len(s) {
		switch c := s[pos]; {
		case c == 'z' || c == 'Z':
			d.kind = kindUTC
			pos++
		default:
			zh, zm := 0, 0
			sign := 0
			if pos+2 < len(s) {
				if h, ok := num(pos+1, 2); ok {
					switch c {
					case '-':
						sign, zh = -1, h
						pos += 3
					case '+':
						sign, zh = 1, h
						pos += 3
					}
				}
			}
			if pos < len(s) {
				if char(pos, ':') {
					pos++
				}
				if pos+1 < len(s) {
					if m, ok := num(pos, 2); ok {
						zm = m
						pos += 2
					}
				}
			}
			if sign != 0 {
				d.kind = kindOffset
				d.offset = sign * (zh*3600 + zm*60)
			}
		}
	}
	if pos != len(s) {
		return Date{}, false
	}
	wall := time.Date(year, time.Month(month), day, hour%24, minute, second, frac*100, time.UTC)
	if hour == 24 {
		wall = wall.AddDate(0, 0, 1)
	}
	if !wall.Before(maxNetTime) {
		return Date{}, false
	}
	d.wall = wall
	return d, true
}

// parseMicrosoftDate reads Newtonsoft's other date form, "/Date(ms)/" or
// "/Date(ms±hhmm)/" (milliseconds since the Unix epoch). Newtonsoft turns
// the offset form into local time; fig-injector assumes the application
// runs in UTC, as containers do by default.
func parseMicrosoftDate(s string) (Date, bool) {
	if len(s) < 9 || !strings.HasPrefix(s, "/Date(") || !strings.HasSuffix(s, ")/") {
		return Date{}, false
	}
	inner := s[6 : len(s)-2]
	cut := len(inner)
	if i := strings.IndexAny(inner[min(1, len(inner)):], "+-"); i >= 0 {
		cut = i + min(1, len(inner))
		off := inner[cut+1:]
		if (len(off) != 2 && len(off) != 4) || strings.Trim(off, "0123456789") != "" {
			return Date{}, false
		}
	}
	ms, err := strconv.ParseInt(inner[:cut], 10, 64)
	if err != nil {
		return Date{}, false
	}
	t := time.UnixMilli(ms).UTC()
	if t.Before(minNetTime) || !t.Before(maxNetTime) {
		return Date{}, false
	}
	return Date{wall: t, kind: kindUTC}, true
}

// ParseDateLoose is the fallback Newtonsoft uses when the strict ISO parser
// rejects a DateTime value (DateTime.TryParse with the invariant culture and
// RoundtripKind), limited to the ISO-like forms people and servers write:
// a date alone, 'T' or ' ' before the time, optional seconds, a fraction of
// any length (kept to 7 digits) and an optional zone.
func ParseDateLoose(s string) (Date, bool) {
	s = strings.TrimSpace(s)
	if d, ok := parseNewtonsoftISO(s); ok {
		return d, true
	}
	if len(s) < 10 {
		return Date{}, false
	}
	date, rest := s[:10], s[10:]
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		return Date{}, false
	}
	d := Date{wall: t}
	if rest == "" {
		return d, true
	}
	if rest[0] != 'T' && rest[0] != ' ' {
		return Date{}, false
	}
	rest = rest[1:]
	// Zone.
	switch {
	case strings.HasSuffix(rest, "Z") || strings.HasSuffix(rest, "z"):
		d.kind = kindUTC
		rest = rest[:len(rest)-1]
	default:
		if i := strings.LastIndexAny(rest, "+-"); i > 0 {
			zone := strings.ReplaceAll(rest[i+1:], ":", "")
			if len(zone) != 2 && len(zone) != 4 || strings.Trim(zone, "0123456789") != "" {
				return Date{}, false
			}
			zh, _ := strconv.Atoi(zone[:2])
			zm := 0
			if len(zone) == 4 {
				zm, _ = strconv.Atoi(zone[2:])
			}
			if zh > 14 || zm > 59 {
				return Date{}, false
			}
			d.kind, d.offset = kindOffset, zh*3600+zm*60
			if rest[i] == '-' {
				d.offset = -d.offset
			}
			rest = rest[:i]
		}
	}
	frac := 0
	if i := strings.IndexByte(rest, '.'); i >= 0 {
		f := rest[i+1:]
		if f == "" || strings.Trim(f, "0123456789") != "" {
			return Date{}, false
		}
		f = (f + "0000000")[:7]
		frac, _ = strconv.Atoi(f)
		rest = rest[:i]
	}
	parts := strings.Split(rest, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Date{}, false
	}
	var hms [3]int
	limits := [3]int{23, 59, 59}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || len(p) == 0 || len(p) > 2 || n < 0 || n > limits[i] {
			return Date{}, false
		}
		hms[i] = n
	}
	d.wall = time.Date(t.Year(), t.Month(), t.Day(), hms[0], hms[1], hms[2], frac*100, time.UTC)
	return d, true
}

// daysIn is DateTime.DaysInMonth.
func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// RoundTrip formats d as DateTime.ToString("o"):
// yyyy-MM-ddTHH:mm:ss.fffffff, then "Z" for UTC, the offset for an offset
// value (fig-injector keeps the offset it was sent with), nothing for an
// unspecified kind.
func (d Date) RoundTrip() string {
	b := d.wall.AppendFormat(make([]byte, 0, 33), "2006-01-02T15:04:05.0000000")
	return string(d.appendZone(b))
}

// appendZone appends how d's zone is written: "Z" for UTC, "+hh:mm" or
// "-hh:mm" for an offset, nothing for an unspecified kind.
func (d Date) appendZone(b []byte) []byte {
	switch d.kind {
	case kindUTC:
		b = append(b, 'Z')
	case kindOffset:
		off := d.offset
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		b = append(b, sign)
		b = appendPad2(b, off/3600)
		b = append(b, ':')
		b = appendPad2(b, off/60%60)
	}
	return b
}

// invariantGeneral formats d as Convert.ToString(DateTime, InvariantCulture):
// the "G" pattern of the invariant culture, MM/dd/yyyy HH:mm:ss. A value
// with an offset is first converted to UTC, the local time of a container
// (Newtonsoft converts it to the machine's local time).
func (d Date) invariantGeneral() string {
	w := d.wall
	if d.kind == kindOffset {
		w = w.Add(-time.Duration(d.offset) * time.Second)
	}
	return w.Format("01/02/2006 15:04:05")
}

func appendPad2(b []byte, n int) []byte {
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// NewtonsoftTime formats t as Newtonsoft writes a DateTime
// (DateFormatHandling.IsoDateFormat, DateTimeZoneHandling.RoundtripKind):
// yyyy-MM-ddTHH:mm:ss, then the fraction of a second with trailing zeros
// trimmed (left out when zero), then "Z" for UTC or the offset. Precision
// below a .NET tick (100 ns) is dropped.
func NewtonsoftTime(t time.Time) string { return DateOf(t).Newtonsoft() }

// DateOf is t as a .NET DateTime read back from what NewtonsoftTime writes:
// UTC for a time in time.UTC, otherwise its wall clock and offset.
func DateOf(t time.Time) Date {
	t = t.Truncate(100 * time.Nanosecond)
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	if t.Location() == time.UTC {
		return Date{wall: wall, kind: kindUTC}
	}
	_, off := t.Zone()
	return Date{wall: wall, kind: kindOffset, offset: off}
}

// Newtonsoft formats d as Newtonsoft writes a DateTime: the fraction trimmed
// of trailing zeros, then "Z", the offset, or nothing.
func (d Date) Newtonsoft() string {
	b := d.wall.AppendFormat(nil, "2006-01-02T15:04:05")
	if ns := d.wall.Nanosecond(); ns != 0 {
		frac := strconv.Itoa(ns/100 + ticksPerSecond)[1:]
		b = append(b, '.')
		b = append(b, strings.TrimRight(frac, "0")...)
	}
	return string(d.appendZone(b))
}

// ParseDate reads a DateTimeSettingDataContract value as Newtonsoft
// does: the strict ISO parser, then the Microsoft form, then the looser
// DateTime.TryParse fallback.
func ParseDate(s string) (Date, bool) {
	if d, ok := parseNewtonsoftISO(s); ok {
		return d, true
	}
	if d, ok := parseMicrosoftDate(s); ok {
		return d, true
	}
	return ParseDateLoose(s)
}
