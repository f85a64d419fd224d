package dotnet

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// FormatDouble formats f as .NET Core 3.0+ double.ToString(CultureInfo.
// InvariantCulture) does: the shortest text that round-trips, in fixed
// notation when the decimal exponent is between -5 and 15 (exclusive) and in
// scientific notation otherwise, written with "E", a sign and at least two
// exponent digits: 30, 0.5, 0.0001, 1E-05, 1E+15, 1.2345678901234568E+20.
// NaN and infinities are "NaN", "Infinity" and "-Infinity".
func FormatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // e.g. -1.2345e+20
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	e := strings.IndexByte(s, 'e')
	mant, expText := s[:e], s[e+1:]
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)

	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if f == 0 {
		b.WriteByte('0')
		return b.String()
	}
	switch {
	case exp >= 15 || exp <= -5:
		b.WriteByte(digits[0])
		if len(digits) > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('E')
		if exp < 0 {
			b.WriteByte('-')
			exp = -exp
		} else {
			b.WriteByte('+')
		}
		if exp < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(exp))
	case exp >= 0:
		if len(digits) <= exp+1 {
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", exp+1-len(digits)))
		} else {
			b.WriteString(digits[:exp+1])
			b.WriteByte('.')
			b.WriteString(digits[exp+1:])
		}
	default:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -exp-1))
		b.WriteString(digits)
	}
	return b.String()
}

// ticksPerSecond and unixEpochTicks convert between Go times and .NET ticks
// (100 ns units since 0001-01-01T00:00:00 UTC).
const (
	ticksPerSecond = 10_000_000
	unixEpochTicks = 621_355_968_000_000_000
)

// Ticks returns t as .NET DateTime ticks in UTC, the value Fig.Client writes
// to LastFigUpdateUtcTicks.
func Ticks(t time.Time) int64 {
	t = t.UTC()
	return t.Unix()*ticksPerSecond + int64(t.Nanosecond()/100) + unixEpochTicks
}

// FormatTimeSpan formats d in .NET's constant ("c") TimeSpan format,
// [-][d.]hh:mm:ss[.fffffff], the text TimeSpan.ToString() and Newtonsoft
// write. Precision below 100 ns is dropped.
func FormatTimeSpan(d time.Duration) string {
	ticks := int64(d / 100)
	var b strings.Builder
	if ticks < 0 {
		b.WriteByte('-')
	}
	// Work in uint64 so that the most negative duration does not overflow.
	u := uint64(ticks)
	if ticks < 0 {
		u = uint64(-(ticks + 1)) + 1
	}
	frac := u % ticksPerSecond
	secs := u / ticksPerSecond
	days := secs / 86400
	secs %= 86400
	if days > 0 {
		b.WriteString(strconv.FormatUint(days, 10))
		b.WriteByte('.')
	}
	pad2(&b, secs/3600)
	b.WriteByte(':')
	pad2(&b, secs/60%60)
	b.WriteByte(':')
	pad2(&b, secs%60)
	if frac != 0 {
		b.WriteByte('.')
		f := strconv.FormatUint(frac, 10)
		b.WriteString(strings.Repeat("0", 7-len(f)))
		b.WriteString(f)
	}
	return b.String()
}

func pad2(b *strings.Builder, n uint64) {
	if n < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.FormatUint(n, 10))
}

// errTimeSpan is returned for text that is not a TimeSpan.
var errTimeSpan = errors.New(`not a TimeSpan: use [-][d.]hh:mm[:ss[.fffffff]] (e.g. "00:00:30", "1.02:03:04") or a Go duration (e.g. "30s")`)

// ParseTimeSpan reads the TimeSpan forms .NET's invariant TimeSpan.Parse
// accepts that people write ("d", "hh:mm", "hh:mm:ss", "d.hh:mm:ss",
// "hh:mm:ss.fffffff", a leading "-"), and Go duration strings such as
// "30s" or "1h30m".
func ParseTimeSpan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errTimeSpan
	}
	if !strings.Contains(s, ":") {
		if n, err := strconv.ParseUint(strings.TrimPrefix(s, "-"), 10, 32); err == nil && strings.TrimLeft(s, "-0123456789") == "" {
			d := time.Duration(n) * 24 * time.Hour
			if strings.HasPrefix(s, "-") {
				d = -d
			}
			return d, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, errTimeSpan
		}
		return d, nil
	}
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var days uint64
	if dot := strings.IndexByte(s, '.'); dot >= 0 && dot < strings.IndexByte(s, ':') {
		n, err := strconv.ParseUint(s[:dot], 10, 32)
		if err != nil {
			return 0, errTimeSpan
		}
		days, s = n, s[dot+1:]
	}
	var frac string
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		s, frac = s[:dot], s[dot+1:]
		if frac == "" || len(frac) > 7 || strings.Trim(frac, "0123456789") != "" {
			return 0, errTimeSpan
		}
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, errTimeSpan
	}
	limits := []uint64{23, 59, 59}
	var hms [3]uint64
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil || len(p) == 0 || len(p) > 2 || n > limits[i] {
			return 0, errTimeSpan
		}
		hms[i] = n
	}
	if frac != "" && len(parts) != 3 {
		return 0, errTimeSpan
	}
	ticks := ((days*24+hms[0])*60+hms[1])*60 + hms[2]
	ticks *= ticksPerSecond
	if frac != "" {
		f, _ := strconv.ParseUint(frac+strings.Repeat("0", 7-len(frac)), 10, 64)
		ticks += f
	}
	if ticks > uint64(math.MaxInt64/100) {
		return 0, errTimeSpan
	}
	d := time.Duration(ticks) * 100
	if neg {
		d = -d
	}
	return d, nil
}

// UTF16Len is the length .NET reports for s (string.Length counts UTF-16
// code units); Fig's limits are expressed in it.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// TruncateUTF16 cuts s to at most max UTF-16 code units without splitting a
// character.
func TruncateUTF16(s string, max int) string {
	n := 0
	for i, r := range s {
		w := len(utf16.Encode([]rune{r}))
		if n+w > max {
			return s[:i]
		}
		n += w
	}
	return s
}

// NewtonsoftDouble is JsonConvert.ToString(double): the shortest round-trip
// text with ".0" appended when it has neither a point nor an exponent.
// Non-finite values are written as strings (FloatFormatHandling.String).
func NewtonsoftDouble(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return `"` + FormatDouble(f) + `"`
	}
	s := FormatDouble(f)
	if strings.ContainsAny(s, ".E") {
		return s
	}
	return s + ".0"
}

// EscapeDataString is .NET's Uri.EscapeDataString: every byte of the UTF-8
// text except the RFC 3986 unreserved characters (A–Z a–z 0–9 - _ . ~) is
// percent-encoded with upper-case hex. Fig.Client escapes client names and
// instances with it.
func EscapeDataString(s string) string {
	const upperHex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&0xf])
	}
	return b.String()
}
