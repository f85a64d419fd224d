package dev

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

// kindFixes say how to write a value of each kind, for errors.
var kindFixes = map[figapi.Kind]string{
	figapi.KindString:   `write text (quote it if it looks like a number or true/false)`,
	figapi.KindInt:      "write a whole number between -2147483648 and 2147483647 (use type: long for larger)",
	figapi.KindLong:     "write a whole number",
	figapi.KindDouble:   "write a number, e.g. 0.5",
	figapi.KindBool:     "write true or false",
	figapi.KindDateTime: "write an ISO 8601 time such as 2025-06-01T12:00:00Z",
	figapi.KindTimeSpan: `write "00:00:30" (.NET) or 30s (Go)`,
	figapi.KindJSON:     "write a mapping or a list, or a string holding JSON",
	figapi.KindDataGrid: "write a list of rows (one mapping of column to value per row) or a list of strings",
}

// settingSeed converts one seed setting to the Fig emulator's form. Errors
// never quote the value of a secret setting.
func settingSeed(path string, s SeedSetting) (figapi.SettingSeed, error) {
	raw, err := decodeValue(s.Value)
	if err != nil { // cannot happen: the YAML step produced this JSON
		return figapi.SettingSeed{}, &FieldError{Path: path + ".value", Problem: "is not a value", Fix: kindFixes[figapi.KindString]}
	}
	var kind figapi.Kind
	if s.Type == "" {
		if kind = inferKind(raw); kind == figapi.KindNone {
			return figapi.SettingSeed{}, &FieldError{Path: path + ".type", Problem: "is needed for a null value",
				Fix: "set type to one of string, int, long, double, bool, datetime, timespan, json, datagrid"}
		}
	} else if kind, err = figapi.ParseKind(s.Type); err != nil {
		return figapi.SettingSeed{}, &FieldError{Path: path + ".type", Problem: fmt.Sprintf("%q is not a setting type", s.Type),
			Fix: "use one of string, int, long, double, bool, datetime, timespan, json, datagrid"}
	}
	v, err := figapi.ValueOf(kind, normalise(kind, raw))
	if err == nil && kind == figapi.KindJSON {
		if text, ok := raw.(string); ok && !json.Valid([]byte(text)) {
			err = fmt.Errorf("the text is not JSON")
		}
	}
	if err != nil {
		problem := fmt.Sprintf("is not a valid %s value", strings.ToLower(kind.String()))
		switch _, isText := raw.(string); {
		case s.Secret: // the decoder's detail may quote the value
		case isText && strings.Contains(err.Error(), "strconv."):
			problem += fmt.Sprintf(": got %q", raw) // strconv's own words are for programmers
		case isText || kind == figapi.KindDataGrid:
			problem += ": " + strings.TrimPrefix(err.Error(), kind.String()+" value: ")
		default:
			problem += " (got " + jsonKind(raw) + ")"
		}
		return figapi.SettingSeed{}, &FieldError{Path: path + ".value", Problem: problem, Fix: kindFixes[kind]}
	}
	return figapi.SettingSeed{Name: s.Name, Description: s.Description, IsSecret: s.Secret, Value: v, Kind: kind}, nil
}

// decodeValue decodes a setting's JSON, keeping numbers as json.Number so
// that integers keep every digit and int can be told from double.
func decodeValue(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return nil, err
	}
	return x, nil
}

// jsonKind names the shape of a decoded value for messages.
func jsonKind(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case string:
		return "text"
	case bool:
		return "true/false"
	case json.Number:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", x)
}

// inferKind is the kind a value without a type gets; KindNone for null.
func inferKind(x any) figapi.Kind {
	switch v := x.(type) {
	case string:
		return figapi.KindString
	case bool:
		return figapi.KindBool
	case json.Number:
		i, err := v.Int64()
		switch {
		case err != nil:
			return figapi.KindDouble
		case i < math.MinInt32 || i > math.MaxInt32:
			return figapi.KindLong
		}
		return figapi.KindInt
	case []any:
		return figapi.KindDataGrid
	case map[string]any:
		return figapi.KindJSON
	}
	return figapi.KindNone
}

// normalise prepares a decoded value for figapi.ValueOf, which takes what a
// plain decoder produces: json.Number becomes float64 for doubles and inside
// data grids (int64 when whole). JSON settings keep json.Number, which
// marshals back to the digits as written.
func normalise(k figapi.Kind, x any) any {
	switch k {
	case figapi.KindDouble:
		if n, ok := x.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				return f
			}
			return n.String()
		}
	case figapi.KindDataGrid:
		return numbers(x)
	}
	return x
}

// numbers replaces json.Number throughout x.
func numbers(x any) any {
	switch v := x.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = numbers(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = numbers(e)
		}
		return out
	}
	return x
}
