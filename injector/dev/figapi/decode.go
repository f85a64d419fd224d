package figapi

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/fig-injector/fig-injector/injector/secret"
)

// Fig source: the API reads bodies with JsonSettings.FigHttp's binder
// (src/common/Fig.Common.NetStandard/Json/JsonSettings.cs,
// FigSerializationBinder.cs) into the contracts of
// src/common/Fig.Contracts/Settings/SettingValueBaseDataContract.cs.
// decodeValue reads a polymorphic value object (SettingValueBaseDataContract)
// from a request body as the API's Newtonsoft settings do: "$type" must be
// the object's first member (MetadataPropertyHandling.Default) and name a
// known contract; null or absent is "no value". field names the member in
// errors.
func decodeValue(n *node, field string) (Value, error) {
	if n.isNull() {
		return Value{}, nil
	}
	if n.kind != 'o' {
		return Value{}, fmt.Errorf("%s: want a value object", field)
	}
	if n.firstKey() != "$type" {
		return Value{}, fmt.Errorf("%s: could not create an instance of the abstract type SettingValueBaseDataContract: \"$type\" must be the first member", field)
	}
	typ := n.members[0].val
	if typ.kind != 's' {
		return Value{}, fmt.Errorf("%s: $type must be a string", field)
	}
	k, ok := valueKindOfTypeName(typ.text)
	if !ok {
		return Value{}, fmt.Errorf("%s: type %q is not an allowed Fig value contract", field, typ.text)
	}
	val, err := decodeScalar(k, n.get("value"))
	if err != nil {
		return Value{}, fmt.Errorf("%s.value: %w", field, err)
	}
	return val, nil
}

// decodeScalar reads the "value" member of a value contract of kind k.
// Absent members take the C# constructor's default (0, false, null).
func decodeScalar(k Kind, v *node) (Value, error) {
	null := v.isNull()
	switch k {
	case KindString, KindJSON:
		if null {
			return Value{kind: k, null: true}, nil
		}
		if v.kind != 's' {
			return Value{}, fmt.Errorf("want a string")
		}
		return Value{kind: k, text: secret.New(v.text)}, nil
	case KindInt, KindLong:
		if v == nil {
			return Value{kind: k}, nil
		}
		if null || v.kind != 'n' {
			return Value{}, fmt.Errorf("want an integer")
		}
		bits := 64
		if k == KindInt {
			bits = 32
		}
		i, err := strconv.ParseInt(v.text, 10, bits)
		if err != nil {
			return Value{}, fmt.Errorf("want an integer that fits System.Int%d, got %s", bits, v.text)
		}
		return Value{kind: k, num: i}, nil
	case KindDouble:
		if v == nil {
			return Double(0), nil
		}
		if null || v.kind != 'n' {
			return Value{}, fmt.Errorf("want a number")
		}
		f, err := strconv.ParseFloat(v.text, 64)
		if err != nil {
			return Value{}, fmt.Errorf("want a double, got %s", v.text)
		}
		return Double(f), nil
	case KindBool:
		if v == nil {
			return Bool(false), nil
		}
		if null || v.kind != 'b' {
			return Value{}, fmt.Errorf("want true or false")
		}
		return Bool(v.b), nil
	case KindDateTime:
		if null {
			return NullDateTime(), nil
		}
		if v.kind != 's' {
			return Value{}, fmt.Errorf("want an ISO 8601 string")
		}
		t, z, err := parseDateTime(v.text)
		if err != nil {
			return Value{}, err
		}
		return Value{kind: KindDateTime, t: t, tz: z}, nil
	case KindTimeSpan:
		if null {
			return NullTimeSpan(), nil
		}
		if v.kind != 's' {
			return Value{}, fmt.Errorf("want a time span string like 00:00:30")
		}
		d, err := parseTimeSpan(v.text)
		if err != nil {
			return Value{}, err
		}
		return TimeSpan(d), nil
	case KindDataGrid:
		if null {
			return NullDataGrid(), nil
		}
		if v.kind != 'a' {
			return Value{}, fmt.Errorf("want an array of rows")
		}
		rows := make([]Row, 0, len(v.items))
		for i, it := range v.items {
			if it.kind != 'o' {
				return Value{}, fmt.Errorf("row %d: want an object", i)
			}
			var r Row
			for _, m := range it.members {
				if m.key == "$type" {
					continue
				}
				r = append(r, Cell{Column: m.key, Value: cellOf(m.val)})
			}
			rows = append(rows, r)
		}
		return Value{kind: KindDataGrid, rows: rows}, nil
	}
	return Value{}, fmt.Errorf("unsupported kind %v", k)
}

// cellOf converts a JSON cell as Newtonsoft fills a Dictionary<string,
// object>: integers become long, other numbers double, arrays lists and
// objects stay JSON.
func cellOf(n *node) any {
	switch n.kind {
	case 's':
		return n.text
	case 'b':
		return n.b
	case 'n':
		if i, err := strconv.ParseInt(n.text, 10, 64); err == nil {
			return i
		}
		f, _ := strconv.ParseFloat(n.text, 64)
		return f
	case 'a':
		out := make([]any, len(n.items))
		for i, it := range n.items {
			out[i] = cellOf(it)
		}
		return out
	case 'o':
		return rawJSON(n.raw())
	}
	return nil
}

// ValueOf converts a plain Go value, as a YAML or JSON decoder produces it,
// to a Value of kind k, for seed files:
//
//   - String, Json: a string; for Json anything else is marshalled to JSON text.
//   - Int, Long: an integer, or a float64 without fraction, or a numeric string.
//   - Double: a number or numeric string. Bool: a bool or "true"/"false".
//   - DateTime: a time.Time or an ISO 8601 string ("Z" for UTC).
//   - TimeSpan: a time.Duration, a .NET time span ("00:00:30") or a Go
//     duration string ("30s").
//   - DataGrid: a list whose items are strings (one "Values" column) or maps
//     (columns sorted by name, since Go maps have no order).
//
// nil gives the kind's null (0 for Int and Long, false for Bool, which
// cannot be null in Fig).
func ValueOf(k Kind, x any) (Value, error) {
	v, err := valueOf(k, x)
	if err != nil {
		return Value{}, fmt.Errorf("%v value: %w", k, err)
	}
	return v, nil
}

func valueOf(k Kind, x any) (Value, error) {
	if x == nil {
		switch k {
		case KindString:
			return NullString(), nil
		case KindJSON:
			return NullJSON(), nil
		case KindDateTime:
			return NullDateTime(), nil
		case KindTimeSpan:
			return NullTimeSpan(), nil
		case KindDataGrid:
			return NullDataGrid(), nil
		case KindInt:
			return Int(0), nil
		case KindLong:
			return Long(0), nil
		case KindDouble:
			return Double(0), nil
		case KindBool:
			return Bool(false), nil
		}
		return Value{}, fmt.Errorf("unknown kind")
	}
	switch k {
	case KindString:
		s, ok := x.(string)
		if !ok {
			return Value{}, fmt.Errorf("want a string, got %T", x)
		}
		return String(s), nil
	case KindJSON:
		if s, ok := x.(string); ok {
			return JSON(s), nil
		}
		b, err := json.Marshal(x)
		if err != nil {
			return Value{}, fmt.Errorf("marshal: %w", err)
		}
		return JSON(string(b)), nil
	case KindInt, KindLong:
		i, err := toInt(x)
		if err != nil {
			return Value{}, err
		}
		if k == KindInt {
			if i < math.MinInt32 || i > math.MaxInt32 {
				return Value{}, fmt.Errorf("%d does not fit System.Int32", i)
			}
			return Int(int32(i)), nil
		}
		return Long(i), nil
	case KindDouble:
		switch f := x.(type) {
		case float64:
			return Double(f), nil
		case string:
			p, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return Value{}, fmt.Errorf("want a number, got %q", f)
			}
			return Double(p), nil
		}
		i, err := toInt(x)
		if err != nil {
			return Value{}, err
		}
		return Double(float64(i)), nil
	case KindBool:
		switch b := x.(type) {
		case bool:
			return Bool(b), nil
		case string:
			p, err := strconv.ParseBool(b)
			if err != nil {
				return Value{}, fmt.Errorf("want true or false, got %q", b)
			}
			return Bool(p), nil
		}
		return Value{}, fmt.Errorf("want a bool, got %T", x)
	case KindDateTime:
		switch t := x.(type) {
		case time.Time:
			return DateTime(t), nil
		case string:
			p, z, err := parseDateTime(t)
			if err != nil {
				return Value{}, err
			}
			return Value{kind: KindDateTime, t: p, tz: z}, nil
		}
		return Value{}, fmt.Errorf("want a date-time, got %T", x)
	case KindTimeSpan:
		switch d := x.(type) {
		case time.Duration:
			return TimeSpan(d), nil
		case string:
			if p, err := parseTimeSpan(d); err == nil {
				return TimeSpan(p), nil
			}
			p, err := time.ParseDuration(d)
			if err != nil {
				return Value{}, fmt.Errorf("want 00:00:30 or 30s, got %q", d)
			}
			return TimeSpan(p), nil
		}
		return Value{}, fmt.Errorf("want a time span, got %T", x)
	case KindDataGrid:
		return gridOf(x)
	}
	return Value{}, fmt.Errorf("unknown kind")
}

func toInt(x any) (int64, error) {
	switch i := x.(type) {
	case int:
		return int64(i), nil
	case int32:
		return int64(i), nil
	case int64:
		return i, nil
	case uint64:
		if i > math.MaxInt64 {
			return 0, fmt.Errorf("%d is too large", i)
		}
		return int64(i), nil
	case float64:
		if i != math.Trunc(i) || math.Abs(i) > 1<<53 {
			return 0, fmt.Errorf("want an integer, got %v", i)
		}
		return int64(i), nil
	case json.Number:
		return i.Int64()
	case string:
		return strconv.ParseInt(i, 10, 64)
	}
	return 0, fmt.Errorf("want an integer, got %T", x)
}

func gridOf(x any) (Value, error) {
	items, ok := x.([]any)
	if !ok {
		if ss, isStrings := x.([]string); isStrings {
			return List(ss...), nil
		}
		return Value{}, fmt.Errorf("want a list of rows, got %T", x)
	}
	rows := make([]Row, 0, len(items))
	for i, it := range items {
		switch r := it.(type) {
		case string:
			rows = append(rows, Row{{Column: "Values", Value: r}})
		case map[string]any:
			cols := make([]string, 0, len(r))
			for c := range r {
				cols = append(cols, c)
			}
			slices.Sort(cols)
			row := make(Row, 0, len(cols))
			for _, c := range cols {
				cell, ok := normalCell(r[c])
				if !ok {
					if m, isMap := r[c].(map[string]any); isMap {
						b, err := json.Marshal(m)
						if err != nil {
							return Value{}, fmt.Errorf("row %d column %q: %w", i, c, err)
						}
						cell = rawJSON(b)
					} else {
						return Value{}, fmt.Errorf("row %d column %q: unsupported %T", i, c, r[c])
					}
				}
				row = append(row, Cell{Column: c, Value: cell})
			}
			rows = append(rows, row)
		default:
			return Value{}, fmt.Errorf("row %d: want a string or a map, got %T", i, it)
		}
	}
	return Value{kind: KindDataGrid, rows: rows}, nil
}
