package contract

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
)

// DecodeValue reads a SettingValueBaseDataContract object ({"$type": …,
// "value": …}, names matched case-insensitively) and its value, once, into
// the contract's typed value. raw must be valid JSON; the Value aliases it.
// An error says which contract and what is wrong, never the value.
func DecodeValue(raw []byte) (Value, error) {
	members, _, err := dotnet.ReadObject(raw)
	if err != nil {
		return Value{}, fmt.Errorf("value: %w", err)
	}
	var typ []byte // the "$type" text, nil when missing or empty
	for _, m := range members {
		if m.Key == "$type" {
			var ok bool
			if typ, ok = unquoteBytes(m.Raw); !ok {
				return Value{}, errors.New(`value: "$type" is not a string`)
			}
			break
		}
	}
	if len(typ) == 0 {
		return Value{}, errors.New(`value has no "$type", so its contract is unknown; the server must write "$type" first in every value object (Newtonsoft TypeNameHandling.Objects)`)
	}
	name := bytes.TrimSpace(typ)
	if i := bytes.IndexByte(name, ','); i >= 0 {
		name = bytes.TrimSpace(name[:i])
	}
	kind, ok := kindByContract[string(name)]
	if !ok {
		return Value{}, fmt.Errorf("unknown value type %q: fig-injector knows the nine Fig.Contracts.Settings value contracts (String, Int, Long, Double, Bool, DateTime, TimeSpan, DataGrid, Json); upgrade fig-injector if Fig added one", name)
	}
	v := Value{Kind: kind}
	inner, ok := dotnet.Lookup(members, "value")
	if !ok || dotnet.IsNull(inner) {
		return v, nil
	}
	v.Raw = bytes.TrimSpace(inner)
	if kind == KindDataGrid {
		v.Rows, err = decodeRows(v.Raw)
	} else {
		v.typed, err = typedOf(kind, v.Raw)
	}
	if err != nil {
		return Value{}, fmt.Errorf("%s value: %w", kind.contractType(), err)
	}
	return v, nil
}

// unquoteBytes is a JSON string's text; an unescaped one is a slice of raw,
// so that reading every value's "$type" allocates nothing.
func unquoteBytes(raw []byte) ([]byte, bool) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && bytes.IndexByte(raw[1:len(raw)-1], '\\') < 0 {
		return raw[1 : len(raw)-1], true
	}
	text, ok := dotnet.Unquote(raw)
	return []byte(text), ok
}

// typedOf reads a non-null scalar or JSON value into its contract's type
// the way Fig.Client's Newtonsoft deserializer does, so that mapping has
// nothing left to parse. Like Newtonsoft, it accepts numbers and booleans
// written as strings and scalars for strings. A JSON setting whose text
// Fig.Client cannot flatten is not an error here: Map leaves it out with a
// warning, and the rest of the settings still load.
func typedOf(kind Kind, raw []byte) (typedValue, error) {
	var t typedValue
	var err error
	switch kind {
	case KindString:
		t.text, err = dotnet.ReadString(raw)
	case KindJSON, KindTimeSpan:
		var ok bool
		if t.text, ok = dotnet.Unquote(raw); !ok {
			return t, fmt.Errorf("is %s, not a string", dotnet.JSONKind(raw))
		}
		if kind == KindJSON {
			t = jsonTyped(t.text)
		}
	case KindDateTime:
		s, ok := dotnet.Unquote(raw)
		if !ok {
			return t, fmt.Errorf("is %s, not a date string", dotnet.JSONKind(raw))
		}
		if t.date, ok = dotnet.ParseDate(s); !ok {
			return t, errors.New("is not an ISO 8601 date and time")
		}
	case KindInt:
		t.number, err = dotnet.ReadInt(raw, 32)
	case KindLong:
		t.number, err = dotnet.ReadInt(raw, 64)
	case KindDouble:
		t.double, err = dotnet.ReadDouble(raw)
	case KindBool:
		t.flag, err = dotnet.ReadBool(raw)
	}
	return t, err
}

// decodeRows reads a data grid: an array of dictionary objects. Cells keep
// their document order; "$type" is metadata, not a column; a repeated key
// keeps its first position and its last value (Dictionary indexer).
func decodeRows(raw []byte) ([]Row, error) {
	if raw[0] != '[' {
		return nil, fmt.Errorf("is %s, not an array of rows", dotnet.JSONKind(raw))
	}
	items, _, err := dotnet.ReadArray(raw)
	if err != nil {
		return nil, errors.New("is not an array of rows")
	}
	rows := make([]Row, 0, len(items))
	for i, item := range items {
		members, null, err := dotnet.ReadObject(item)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		if null {
			return nil, fmt.Errorf("row %d is null", i)
		}
		row := make(Row, 0, len(members))
		for _, m := range members {
			if m.Key == "$type" {
				continue
			}
			cell := cellOf(m.Key, bytes.TrimSpace(m.Raw))
			replaced := false
			for j := range row {
				if row[j].Column == m.Key {
					row[j], replaced = cell, true
					break
				}
			}
			if !replaced {
				row = append(row, cell)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}
