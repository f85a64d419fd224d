package fig

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
)

// CustomValueType is Fig's CustomStatusValueType, sent as its integer.
type CustomValueType int

// The custom status value types, in Fig's enum order.
const (
	CustomString CustomValueType = iota
	CustomBoolean
	CustomInteger
	CustomLong
	CustomDouble
	CustomDecimal
	CustomDateTime
	CustomDateTimeOffset
	CustomDateOnly
	CustomTimeOnly
	CustomTimeSpan
	CustomGUID
	CustomEnum
)

// CustomProperty is CustomStatusPropertyDataContract: a named value the
// application reports with its status, shown in Fig's UI.
type CustomProperty struct {
	Name        string
	DisplayName string // "" is sent as null
	ValueType   CustomValueType
	// Value must suit ValueType: string (String, Enum, Decimal, DateOnly,
	// TimeOnly, or any type as its text), bool, Go integers, float32/64,
	// time.Time (DateTime, DateTimeOffset), time.Duration (TimeSpan),
	// uuid.UUID (Guid); nil is sent as null.
	Value        any
	EnumTypeName string // "" is sent as null
	Highlight    bool
	// HideInUI is the negation of Fig's ShowInUi (true by default there).
	HideInUI  bool
	Order     int
	TextColor string // #RGB or #RRGGBB; "" is sent as null
}

// Fig's custom status property limits (CustomStatusPropertiesLimits).
const (
	maxCustomProperties      = 25
	maxCustomPropertyName    = 64
	maxCustomPropertyString  = 2048
	maxCustomPropertiesBytes = 4 * 1024
)

var hexColor = regexp.MustCompile(`^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$`)

// limitCustomProperties enforces what Fig's CustomStatusPropertiesValidator
// checks, so that a status is never rejected with 400: properties without a
// name, with a duplicate name (case-insensitive), with an unknown value type
// or a value that does not suit it are dropped; names over 64 characters
// and display names or string values over 2048 are truncated; an invalid
// TextColor is cleared; a property that would be the 26th, or would make the
// JSON exceed 4 KB, is dropped. Each change is described in a warning that
// names the property, never its value; the properties dropped for room are
// summed up in one warning, since an agent with many Key Vault-backed keys
// drops dozens.
func limitCustomProperties(props []CustomProperty) ([]CustomProperty, []string) {
	var warnings []string
	warn := func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) }
	out := make([]CustomProperty, 0, min(len(props), maxCustomProperties))
	names := map[string]bool{}
	var noRoom []string // dropped for Fig's count or size limit
	// size is the length of out's JSON, kept as properties are added: the
	// status is sent every poll, and encoding the list again for each
	// candidate made this quadratic (the largest share of an idle agent's
	// CPU with 100 secrets).
	var sizer dotnet.Writer
	writeCustomProperties(&sizer, nil)
	size := len(sizer.Bytes())
	for i, p := range props {
		if strings.TrimSpace(p.Name) == "" {
			warn("custom property %d dropped: it has no name", i)
			continue
		}
		if dotnet.UTF16Len(p.Name) > maxCustomPropertyName {
			short := dotnet.TruncateUTF16(p.Name, maxCustomPropertyName)
			warn("custom property %q renamed %q: Fig allows names of %d characters", p.Name, short, maxCustomPropertyName)
			p.Name = short
		}
		low := strings.ToLower(p.Name)
		if names[low] {
			warn("custom property %q dropped: its name is used twice", p.Name)
			continue
		}
		if p.ValueType < CustomString || p.ValueType > CustomEnum {
			warn("custom property %q dropped: value type %d is unknown to Fig", p.Name, int(p.ValueType))
			continue
		}
		if dotnet.UTF16Len(p.DisplayName) > maxCustomPropertyString {
			warn("custom property %q: display name truncated to %d characters", p.Name, maxCustomPropertyString)
			p.DisplayName = dotnet.TruncateUTF16(p.DisplayName, maxCustomPropertyString)
		}
		if p.TextColor != "" && !hexColor.MatchString(p.TextColor) {
			warn("custom property %q: text color cleared, Fig wants #RGB or #RRGGBB", p.Name)
			p.TextColor = ""
		}
		v, changed, drop := checkCustomValue(p.ValueType, p.Value)
		if drop != "" {
			warn("custom property %q dropped: %s", p.Name, drop)
			continue
		}
		if changed != "" {
			warn("custom property %q: %s", p.Name, changed)
		}
		p.Value = v
		if len(out) == maxCustomProperties {
			noRoom = append(noRoom, p.Name)
			continue
		}
		grow := customPropertySize(&sizer, p)
		if len(out) > 0 {
			grow++ // the comma before it
		}
		if size+grow > maxCustomPropertiesBytes {
			noRoom = append(noRoom, p.Name)
			continue
		}
		size += grow
		names[low] = true
		out = append(out, p)
	}
	if len(noRoom) > 0 {
		warn("%d custom properties dropped (%s): Fig accepts at most %d, in at most %d bytes of JSON",
			len(noRoom), nameRange(noRoom), maxCustomProperties, maxCustomPropertiesBytes)
	}
	return out, warnings
}

// nameRange names the first and last of names, quoted, for a warning.
func nameRange(names []string) string {
	if len(names) == 1 {
		return fmt.Sprintf("%q", names[0])
	}
	return fmt.Sprintf("%q … %q", names[0], names[len(names)-1])
}

// checkCustomValue checks v against t as Fig's validator does. It returns
// the value to send (a string value may be truncated, reported in changed)
// or, when the value does not suit the type, why it must be dropped.
func checkCustomValue(t CustomValueType, v any) (out any, changed, drop string) {
	if v == nil {
		return nil, "", ""
	}
	limit := func(s string) (any, string, string) {
		if dotnet.UTF16Len(s) > maxCustomPropertyString {
			return dotnet.TruncateUTF16(s, maxCustomPropertyString), fmt.Sprintf("string value truncated to %d characters", maxCustomPropertyString), ""
		}
		return s, "", ""
	}
	i64, isInt, big := intOfAny(v)
	switch t {
	case CustomString, CustomEnum:
		if s, ok := v.(string); ok {
			return limit(s)
		}
		return limit(fmt.Sprint(v))
	case CustomBoolean:
		if _, ok := v.(bool); ok {
			return v, "", ""
		}
		return nil, "", "a Boolean property needs a bool value"
	case CustomInteger:
		if isInt && big == 0 && i64 >= math.MinInt32 && i64 <= math.MaxInt32 {
			return i64, "", ""
		}
		return nil, "", "an Integer property needs a 32-bit integer value"
	case CustomLong:
		if isInt && big == 0 {
			return i64, "", ""
		}
		return nil, "", "a Long property needs a 64-bit integer value"
	case CustomDouble:
		switch x := v.(type) {
		case float64:
			return x, "", ""
		case float32:
			return float64(x), "", ""
		}
		if isInt && big == 0 {
			return i64, "", ""
		}
		return nil, "", "a Double property needs a number value"
	case CustomDecimal:
		s := fmt.Sprint(v)
		if f, ok := v.(float64); ok {
			s = dotnet.FormatDouble(f)
		}
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return nil, "", "a Decimal property needs a decimal number"
		}
		return limit(s)
	case CustomDateTime, CustomDateTimeOffset:
		switch x := v.(type) {
		case time.Time:
			return x, "", ""
		case string:
			if _, ok := dotnet.ParseDateLoose(x); ok {
				return limit(x)
			}
		}
		return nil, "", "a date property needs a time.Time or an ISO 8601 string"
	case CustomDateOnly:
		if s, ok := v.(string); ok {
			if _, err := time.Parse("2006-01-02", s); err == nil {
				return s, "", ""
			}
		}
		return nil, "", "a DateOnly property needs a yyyy-MM-dd string"
	case CustomTimeOnly:
		if s, ok := v.(string); ok {
			if d, err := dotnet.ParseTimeSpan(s); err == nil && d >= 0 && d < 24*time.Hour && strings.Contains(s, ":") {
				return s, "", ""
			}
		}
		return nil, "", "a TimeOnly property needs an HH:mm:ss string"
	case CustomTimeSpan:
		switch x := v.(type) {
		case time.Duration:
			return dotnet.FormatTimeSpan(x), "", ""
		case string:
			if _, err := dotnet.ParseTimeSpan(x); err == nil {
				return limit(x)
			}
		}
		return nil, "", "a TimeSpan property needs a time.Duration or a TimeSpan string"
	case CustomGUID:
		switch x := v.(type) {
		case uuid.UUID:
			return x.String(), "", ""
		case string:
			if _, err := uuid.Parse(x); err == nil {
				return x, "", ""
			}
		}
		return nil, "", "a Guid property needs a uuid.UUID or a GUID string"
	}
	return nil, "", "unknown value type"
}

// customJSON is the JSON Newtonsoft writes for a checked value.
func customJSON(v any) []byte {
	switch x := v.(type) {
	case nil:
		return []byte("null")
	case string:
		return dotnet.AppendString(nil, x)
	case bool:
		return strconv.AppendBool(nil, x)
	case int64:
		return strconv.AppendInt(nil, x, 10)
	case float64:
		return []byte(dotnet.NewtonsoftDouble(x))
	case time.Time:
		return dotnet.AppendString(nil, dotnet.NewtonsoftTime(x))
	}
	return dotnet.AppendString(nil, fmt.Sprint(v))
}

// intOfAny reads Go integer types; overflow is non-zero for an unsigned value
// beyond int64.
func intOfAny(v any) (n int64, ok bool, overflow uint64) {
	switch x := v.(type) {
	case int:
		return int64(x), true, 0
	case int8:
		return int64(x), true, 0
	case int16:
		return int64(x), true, 0
	case int32:
		return int64(x), true, 0
	case int64:
		return x, true, 0
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, true, uint64(x)
		}
		return int64(x), true, 0
	case uint8:
		return int64(x), true, 0
	case uint16:
		return int64(x), true, 0
	case uint32:
		return int64(x), true, 0
	case uint64:
		if x > math.MaxInt64 {
			return 0, true, x
		}
		return int64(x), true, 0
	}
	return 0, false, 0
}

// customPropertySize is the length of p's JSON as an element of the list,
// written into w's buffer (reused across calls: this runs every poll).
func customPropertySize(w *dotnet.Writer, p CustomProperty) int {
	w.Reset()
	writeCustomProperty(w, p)
	return len(w.Bytes())
}

// writeCustomProperties writes CustomStatusPropertiesDataContract.
func writeCustomProperties(w *dotnet.Writer, props []CustomProperty) {
	w.Open("")
	w.Key("Properties")
	w.OpenArray()
	for _, p := range props {
		writeCustomProperty(w, p)
	}
	w.CloseArray()
	w.Close()
}

// writeCustomProperty writes one CustomStatusPropertyDataContract.
func writeCustomProperty(w *dotnet.Writer, p CustomProperty) {
	w.Open("")
	w.Key("Name")
	w.Str(p.Name)
	w.Key("DisplayName")
	w.StrOrNull(p.DisplayName)
	w.Key("ValueType")
	w.Int(int64(p.ValueType))
	w.Key("Value")
	v, _, drop := checkCustomValue(p.ValueType, p.Value)
	if drop != "" {
		v = nil
	}
	w.Raw(customJSON(v))
	w.Key("EnumTypeName")
	w.StrOrNull(p.EnumTypeName)
	w.Key("Highlight")
	w.Bool(p.Highlight)
	w.Key("ShowInUi")
	w.Bool(!p.HideInUI)
	w.Key("Order")
	w.Int(int64(p.Order))
	w.Key("TextColor")
	w.StrOrNull(p.TextColor)
	w.Close()
}
