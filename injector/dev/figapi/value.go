package figapi

import (
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/fig-injector/fig-injector/injector/secret"
)

// Fig source: the value contracts in src/common/Fig.Contracts/Settings/
// (SettingValueBaseDataContract.cs and one *SettingDataContract.cs per
// kind: String, Int, Long, Double, Bool, DateTime, TimeSpan, Json, DataGrid).
// Kind is the type of a setting value, one per Fig value contract
// (contracts/fig-api.md §3.2).
type Kind int

// The kinds. KindNone is "no value object at all", which Fig serves by
// leaving the setting's value member out.
const (
	KindNone Kind = iota
	KindString
	KindInt
	KindLong
	KindDouble
	KindBool
	KindDateTime
	KindTimeSpan
	KindJSON
	KindDataGrid
)

var kindNames = [...]string{"None", "String", "Int", "Long", "Double", "Bool", "DateTime", "TimeSpan", "Json", "DataGrid"}

// String returns the kind's name as in the contract class name ("Int" for
// IntSettingDataContract).
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// zone says how a DateTime value carries its time zone, mirroring .NET's
// DateTimeKind, because it decides the suffix on the wire.
type zone int

const (
	zoneUTC         zone = iota // "Z"
	zoneUnspecified             // no suffix
	zoneOffset                  // "+02:00" (DateTimeKind.Local)
)

// Value is one setting value as Fig stores and serves it. The zero Value is
// "no value object" (KindNone). Values are immutable; build them with the
// constructors (String, Int, DataGrid, …).
//
// A Value may hold a secret, so every fmt verb and slog print only its kind;
// Wire shows the bytes a client would receive.
type Value struct {
	kind Kind
	null bool
	text secret.Value // String, JSON
	num  int64        // Int, Long
	f    float64      // Double
	b    bool         // Bool
	t    time.Time    // DateTime
	tz   zone         // DateTime
	span time.Duration
	rows []Row // DataGrid
}

// Row is one data-grid row: its cells in column order. Fig writes every
// column, null cells included, in the order the row holds them.
type Row []Cell

// Cell is one data-grid cell. Value is nil, a string, a bool, an integer
// (any Go integer type; served as a .NET long), a float64 (served as a .NET
// double), a []string or []any (a multi-select column), or a json.RawMessage
// (a nested object, served as given).
type Cell struct {
	Column string
	Value  any
}

// NewRow builds a row from alternating column names and values:
// NewRow("Username", "user1", "Password", nil). It panics on an odd count or
// a non-string column name, like regexp.MustCompile, because rows are written
// in code and seed files, never taken from requests.
func NewRow(columnsAndValues ...any) Row {
	if len(columnsAndValues)%2 != 0 {
		panic("figapi.NewRow: odd number of arguments")
	}
	r := make(Row, 0, len(columnsAndValues)/2)
	for i := 0; i < len(columnsAndValues); i += 2 {
		col, ok := columnsAndValues[i].(string)
		if !ok {
			panic(fmt.Sprintf("figapi.NewRow: column %d is %T, want string", i/2, columnsAndValues[i]))
		}
		r = append(r, Cell{Column: col, Value: columnsAndValues[i+1]})
	}
	return r
}

// String returns a string value (StringSettingDataContract).
func String(s string) Value { return Value{kind: KindString, text: secret.New(s)} }

// NullString returns a string setting holding null.
func NullString() Value { return Value{kind: KindString, null: true} }

// Int returns an int value (IntSettingDataContract, System.Int32).
func Int(v int32) Value { return Value{kind: KindInt, num: int64(v)} }

// Long returns a long value (LongSettingDataContract, System.Int64).
func Long(v int64) Value { return Value{kind: KindLong, num: v} }

// Double returns a double value (DoubleSettingDataContract).
func Double(v float64) Value { return Value{kind: KindDouble, f: v} }

// Bool returns a bool value (BoolSettingDataContract).
func Bool(v bool) Value { return Value{kind: KindBool, b: v} }

// DateTime returns a date-time value. A time in time.UTC is served with a
// "Z" (DateTimeKind.Utc); any other location is served with its offset, as
// .NET writes a DateTimeKind.Local value. Precision is .NET's 100 ns.
func DateTime(t time.Time) Value {
	z := zoneOffset
	if t.Location() == time.UTC {
		z = zoneUTC
	}
	return Value{kind: KindDateTime, t: t, tz: z}
}

// DateTimeUnspecified returns a date-time served without a zone suffix
// (DateTimeKind.Unspecified), from t's wall clock.
func DateTimeUnspecified(t time.Time) Value {
	return Value{kind: KindDateTime, t: t, tz: zoneUnspecified}
}

// NullDateTime returns a date-time setting holding null.
func NullDateTime() Value { return Value{kind: KindDateTime, null: true} }

// TimeSpan returns a time-span value, served in .NET's "c" format
// ("00:00:30", "1.02:03:04.5000000"). Precision is 100 ns.
func TimeSpan(d time.Duration) Value { return Value{kind: KindTimeSpan, span: d} }

// NullTimeSpan returns a time-span setting holding null.
func NullTimeSpan() Value { return Value{kind: KindTimeSpan, null: true} }

// JSON returns a JSON setting value (JsonSettingDataContract): text is the
// JSON document, served as a string.
func JSON(text string) Value { return Value{kind: KindJSON, text: secret.New(text)} }

// NullJSON returns a JSON setting holding null.
func NullJSON() Value { return Value{kind: KindJSON, null: true} }

// DataGrid returns a data-grid value (DataGridSettingDataContract). The rows
// are copied.
func DataGrid(rows ...Row) Value {
	cp := make([]Row, len(rows))
	for i, r := range rows {
		cp[i] = append(Row(nil), r...)
	}
	return Value{kind: KindDataGrid, rows: cp}
}

// List returns the data grid Fig uses for a List<string>: one column named
// "Values".
func List(items ...string) Value {
	rows := make([]Row, len(items))
	for i, it := range items {
		rows[i] = Row{{Column: "Values", Value: it}}
	}
	return Value{kind: KindDataGrid, rows: rows}
}

// NullDataGrid returns a data-grid setting holding null.
func NullDataGrid() Value { return Value{kind: KindDataGrid, null: true} }

// Kind returns the value's kind.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether the value object holds null (or there is none).
func (v Value) IsNull() bool { return v.kind == KindNone || v.null }

// Text returns the string of a String or JSON value, "" otherwise. Secret
// values come back in clear: use it in tests and seeding only.
func (v Value) Text() string { return v.text.Reveal() }

// Rows returns a copy of a data grid's rows.
func (v Value) Rows() []Row { return DataGrid(v.rows...).rows }

// Wire returns the value object exactly as the settings endpoint serves it
// (Fig 4.x null handling), or "null" for KindNone.
func (v Value) Wire() string {
	if v.kind == KindNone {
		return "null"
	}
	w := &wire{}
	w.value(v, v.kind == KindJSON)
	return string(w.b)
}

// Equal reports whether two values serve the same bytes.
func (v Value) Equal(o Value) bool {
	if v.kind != o.kind {
		return false
	}
	return v.Wire() == o.Wire()
}

// String implements fmt.Stringer without the content, which may be secret.
func (v Value) String() string { return "figapi.Value(" + v.kind.String() + ")" }

// GoString implements fmt.GoStringer, used by %#v.
func (v Value) GoString() string { return v.String() }

// Format implements fmt.Formatter so that every verb prints only the kind.
func (v Value) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(v.String())) }

// LogValue implements slog.LogValuer.
func (v Value) LogValue() slog.Value { return slog.StringValue(v.String()) }

// compatible reports whether a value of kind k may be stored in a setting of
// kind target: Fig stores JSON settings as strings and picks the served
// contract from the setting's schema, so String and JSON mix.
func compatible(target, k Kind) bool {
	if k == KindNone || k == target {
		return true
	}
	str := func(k Kind) bool { return k == KindString || k == KindJSON }
	return str(target) && str(k)
}

// asKind returns v relabelled as kind k (String <-> JSON only).
func (v Value) asKind(k Kind) Value {
	if v.kind == KindNone || v.kind == k {
		return v
	}
	v.kind = k
	return v
}

// normalCell converts a Go cell value to the types the writer knows, or
// reports that it cannot.
func normalCell(x any) (any, bool) {
	switch c := x.(type) {
	case nil, string, bool, float64, rawJSON:
		return c, true
	case float32:
		return float64(c), true
	case int:
		return int64(c), true
	case int8:
		return int64(c), true
	case int16:
		return int64(c), true
	case int32:
		return int64(c), true
	case int64:
		return c, true
	case uint8:
		return int64(c), true
	case uint16:
		return int64(c), true
	case uint32:
		return int64(c), true
	case uint:
		if c > math.MaxInt64 {
			return nil, false
		}
		return int64(c), true
	case uint64:
		if c > math.MaxInt64 {
			return nil, false
		}
		return int64(c), true
	case []string:
		out := make([]any, len(c))
		for i, s := range c {
			out[i] = s
		}
		return out, true
	case []any:
		out := make([]any, len(c))
		for i, e := range c {
			n, ok := normalCell(e)
			if !ok {
				return nil, false
			}
			out[i] = n
		}
		return out, true
	}
	if raw, ok := x.(interface{ MarshalJSON() ([]byte, error) }); ok {
		b, err := raw.MarshalJSON()
		if err != nil {
			return nil, false
		}
		return rawJSON(b), true
	}
	return nil, false
}

// checkRows reports the first cell the writer cannot serve.
func checkRows(rows []Row) error {
	for i, r := range rows {
		for _, c := range r {
			if _, ok := normalCell(c.Value); !ok {
				return fmt.Errorf("data grid row %d column %q: unsupported cell type %T", i, c.Column, c.Value)
			}
		}
	}
	return nil
}
