package contract

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
)

// Kind is the Fig value contract a value travels as (contracts/fig-api.md §3.2).
type Kind uint8

// The value contracts. KindNone means the setting carried no value object at
// all, which Fig.Client maps like a null value.
const (
	KindNone Kind = iota
	KindString
	KindInt
	KindLong
	KindDouble
	KindBool
	KindDateTime
	KindTimeSpan
	KindDataGrid
	KindJSON
)

// kindNames are the middle part of the .NET contract names
// ("Fig.Contracts.Settings.<name>SettingDataContract").
var kindNames = [...]string{"None", "String", "Int", "Long", "Double", "Bool", "DateTime", "TimeSpan", "DataGrid", "Json"}

// String returns the contract's short name, e.g. "Int" or "DataGrid".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// contractType is the .NET type name of the value contract without its
// assembly, e.g. "Fig.Contracts.Settings.IntSettingDataContract". KindNone
// has none.
func (k Kind) contractType() string {
	if k == KindNone || int(k) >= len(kindNames) {
		return ""
	}
	return "Fig.Contracts.Settings." + kindNames[k] + "SettingDataContract"
}

// typeName is the "$type" Fig.Client writes (short assembly name).
func (k Kind) typeName() string { return k.contractType() + ", Fig.Contracts" }

// kindByContract maps a "$type" (up to its comma) to its Kind.
var kindByContract = func() map[string]Kind {
	m := make(map[string]Kind, len(kindNames))
	for k := KindString; int(k) < len(kindNames); k++ {
		m[k.contractType()] = k
	}
	return m
}()

// Value is a setting value as it travelled: its contract and the JSON text
// of its "value" member, kept verbatim so numbers keep their digits
// (9000000000 stays exact) and dates their zone, plus the typed value Fig.Client
// reads from it. DecodeValue and the constructors below read the JSON once;
// fig.Map only formats the typed value, so it cannot fail on a value. Build
// values with them, not as literals. A Value prints as "Kind([REDACTED])" in
// every fmt verb and in slog, because any value may be a secret.
type Value struct {
	// Kind is the value contract.
	Kind Kind
	// Raw is the JSON of the "value" member exactly as received (or as built
	// by the constructors below); nil when the member was missing or null.
	Raw json.RawMessage
	// Rows holds a data grid's rows (KindDataGrid only; nil when null).
	Rows []Row
	// typed is Raw as Fig.Client reads it into the contract's type.
	typed typedValue
}

// typedValue is a value read into the .NET type of its contract. Only the
// field of the value's Kind is set; a null value leaves all zero, which is
// what Fig.Client maps for a null Int, Long, Double or Bool.
type typedValue struct {
	text   string      // String (as ReadAsString gives it), Json, TimeSpan
	number int64       // Int, Long
	double float64     // Double
	flag   bool        // Bool
	date   dotnet.Date // DateTime
	// leaves are a Json value's configuration leaves; jsonErr says why
	// Fig.Client could not read its text instead.
	leaves  []dotnet.Leaf
	jsonErr error
}

// Row is one data-grid row: its cells in the order the JSON object listed
// them, without the "$type" member.
type Row []Cell

// Cell is one data-grid cell.
type Cell struct {
	// Column is the column name (dictionary key, case kept).
	Column string
	// Raw is the cell's JSON (null included), verbatim.
	Raw json.RawMessage
	// text is the cell as Fig.Client's Convert.ToString gives it; items,
	// when not nil, are a JSON array cell's items as JToken.ToString gives
	// them (see cellOf).
	text  string
	items []string
}

// IsNull reports whether the value is null (or the setting had none).
func (v Value) IsNull() bool { return v.Raw == nil }

// stringText returns the string a String, Json, DateTime or TimeSpan value
// holds as JSON; ok is false for null values and for values that are not
// JSON strings.
func (v Value) stringText() (text string, ok bool) { return dotnet.Unquote(v.Raw) }

// ConfigText is the text Fig.Client writes to IConfiguration for a simple
// value (String, Bool, Int, Long, Double, DateTime, TimeSpan), formatted
// from the value read once, before constants are substituted. A null Bool,
// Int, Long or Double is the contract's default (false, 0); ok is false for
// other nulls and for data grids and JSON values, which map to many keys.
func (v Value) ConfigText() (text string, ok bool) {
	switch v.Kind {
	case KindString, KindTimeSpan:
		return v.typed.text, v.Raw != nil
	case KindBool:
		if v.typed.flag {
			return "True", true
		}
		return "False", true
	case KindInt, KindLong:
		return strconv.FormatInt(v.typed.number, 10), true
	case KindDouble:
		return dotnet.FormatDouble(v.typed.double), true
	case KindDateTime:
		return v.typed.date.RoundTrip(), v.Raw != nil
	}
	return "", false
}

// JSONLeaves are a Json value's configuration leaves, or why Fig.Client
// cannot read its text (Fig.Client would then fail the whole load).
func (v Value) JSONLeaves() ([]dotnet.Leaf, error) { return v.typed.leaves, v.typed.jsonErr }

// Text is the cell as Fig.Client's Convert.ToString gives it (not for a
// JSON array cell, see Items).
func (c Cell) Text() string { return c.text }

// Items are a JSON array cell's items as JToken.ToString gives them; nil
// for any other cell.
func (c Cell) Items() []string { return c.items }

// Format prints the kind and a placeholder, never the value.
func (v Value) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "%s(%s)", v.Kind, secret.Redacted)
}

// LogValue keeps values out of logs.
func (v Value) LogValue() slog.Value {
	return slog.StringValue(v.Kind.String() + "(" + secret.Redacted + ")")
}

// Format prints the column and a placeholder, never the cell's value.
func (c Cell) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "%s=%s", c.Column, secret.Redacted)
}

// NullValue is a null value of kind k.
func NullValue(k Kind) Value { return Value{Kind: k} }

// StringValue is a StringSettingDataContract holding s.
func StringValue(s string) Value {
	return Value{Kind: KindString, Raw: json.RawMessage(dotnet.AppendString(nil, s)), typed: typedValue{text: s}}
}

// JSONValue is a JsonSettingDataContract holding the JSON text text.
func JSONValue(text string) Value {
	return Value{Kind: KindJSON, Raw: json.RawMessage(dotnet.AppendString(nil, text)), typed: jsonTyped(text)}
}

// jsonTyped flattens a JSON setting's text once.
func jsonTyped(text string) typedValue {
	leaves, err := dotnet.FlattenJSON(text)
	return typedValue{text: text, leaves: leaves, jsonErr: err}
}

// IntValue is an IntSettingDataContract (a .NET int).
func IntValue(n int32) Value {
	return Value{Kind: KindInt, Raw: json.RawMessage(fmt.Sprint(n)), typed: typedValue{number: int64(n)}}
}

// LongValue is a LongSettingDataContract (a .NET long).
func LongValue(n int64) Value {
	return Value{Kind: KindLong, Raw: json.RawMessage(fmt.Sprint(n)), typed: typedValue{number: n}}
}

// DoubleValue is a DoubleSettingDataContract, written as Newtonsoft writes
// a double (always with a decimal point or exponent: 30.0, 1.5, 1E+20).
// NaN and infinities become the strings Newtonsoft writes for them.
func DoubleValue(f float64) Value {
	return Value{Kind: KindDouble, Raw: json.RawMessage(dotnet.NewtonsoftDouble(f)), typed: typedValue{double: f}}
}

// BoolValue is a BoolSettingDataContract.
func BoolValue(b bool) Value {
	return Value{Kind: KindBool, Raw: json.RawMessage(strconv.FormatBool(b)), typed: typedValue{flag: b}}
}

// DateTimeValue is a DateTimeSettingDataContract holding t as Newtonsoft
// writes a DateTime: UTC times end in "Z", others carry their offset, and
// the fraction is trimmed of trailing zeros.
func DateTimeValue(t time.Time) Value { return dateTimeValue(dotnet.DateOf(t)) }

// dateTimeValue is a DateTimeSettingDataContract holding d, written as
// Newtonsoft writes it (its kind kept: "Z", the offset, or nothing).
func dateTimeValue(d dotnet.Date) Value {
	return Value{Kind: KindDateTime, Raw: json.RawMessage(dotnet.AppendString(nil, d.Newtonsoft())), typed: typedValue{date: d}}
}

// TimeSpanValue is a TimeSpanSettingDataContract holding d in .NET's
// constant ("c") format, e.g. "00:00:30" or "1.02:03:04.5000000".
func TimeSpanValue(d time.Duration) Value {
	text := dotnet.FormatTimeSpan(d)
	return Value{Kind: KindTimeSpan, Raw: json.RawMessage(dotnet.AppendString(nil, text)), typed: typedValue{text: text}}
}

// DataGridValue is a DataGridSettingDataContract holding a copy of rows,
// each cell read once as DecodeValue reads it.
func DataGridValue(rows []Row) Value {
	read := make([]Row, len(rows))
	for i, r := range rows {
		read[i] = make(Row, len(r))
		for j, c := range r {
			read[i][j] = cellOf(c.Column, c.Raw)
		}
	}
	rows = read
	var b []byte
	b = append(b, '[')
	for i, r := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		for j, c := range r {
			if j > 0 {
				b = append(b, ',')
			}
			b = dotnet.AppendString(b, c.Column)
			b = append(b, ':')
			if c.Raw == nil {
				b = append(b, "null"...)
			} else {
				b = append(b, c.Raw...)
			}
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	return Value{Kind: KindDataGrid, Raw: b, Rows: rows}
}

// cellOf reads a data-grid cell once: a JSON array cell becomes its items'
// texts (Fig.Client writes one key per item), any other cell its text.
func cellOf(column string, raw json.RawMessage) Cell {
	c := Cell{Column: column, Raw: raw}
	if len(raw) > 0 && raw[0] == '[' {
		if items, _, err := dotnet.ReadArray(raw); err == nil {
			c.items = make([]string, len(items))
			for j, item := range items {
				c.items[j] = dotnet.TokenText(item)
			}
			return c
		}
	}
	c.text = dotnet.CellText(raw)
	return c
}
