package fig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// errMalformedObject is readObject's error for text that is not a JSON object.
var errMalformedObject = errors.New("malformed JSON object")

// readArray splits a JSON array into its items, which alias raw. A JSON
// null gives (nil, true, nil). Like readObject, it expects valid JSON and
// fails, never panics, on anything else.
func readArray(raw []byte) (items []json.RawMessage, isNull bool, err error) {
	i := skipSpace(raw, 0)
	if i < len(raw) && raw[i] == 'n' {
		return nil, true, nil
	}
	if i >= len(raw) || raw[i] != '[' {
		return nil, false, fmt.Errorf("expected a JSON array, found %s", jsonKind(raw[min(i, len(raw)):]))
	}
	items = []json.RawMessage{}
	for i = skipSpace(raw, i+1); i < len(raw) && raw[i] != ']'; {
		end := skipValue(raw, i)
		if end < 0 {
			return nil, false, errors.New("malformed JSON array")
		}
		items = append(items, raw[i:end])
		i = skipSpace(raw, end)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		} else if i < len(raw) && raw[i] != ']' {
			return nil, false, errors.New("malformed JSON array")
		}
	}
	if i >= len(raw) {
		return nil, false, errors.New("malformed JSON array")
	}
	return items, false, nil
}

// member is one "name": value pair of a JSON object, in document order.
type member struct {
	key string
	raw json.RawMessage
}

// readObject splits a JSON object into its members in document order. A
// JSON null gives (nil, true, nil). raw must already be valid JSON (it
// always comes from encoding/json, which validates); malformed input gives
// an error, never a panic.
func readObject(raw []byte) (members []member, isNull bool, err error) {
	i := skipSpace(raw, 0)
	if i >= len(raw) {
		return nil, false, errors.New("expected a JSON object, found nothing")
	}
	if raw[i] == 'n' {
		return nil, true, nil
	}
	if raw[i] != '{' {
		return nil, false, fmt.Errorf("expected a JSON object, found %s", jsonKind(raw[i:]))
	}
	bad := errMalformedObject
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return nil, false, nil
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return nil, false, bad
		}
		end := skipString(raw, i)
		if end < 0 {
			return nil, false, bad
		}
		key, ok := stringOf(raw[i:end])
		if !ok {
			return nil, false, bad
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return nil, false, bad
		}
		i = skipSpace(raw, i+1)
		vend := skipValue(raw, i)
		if vend < 0 {
			return nil, false, bad
		}
		members = append(members, member{key: key, raw: raw[i:vend]})
		i = skipSpace(raw, vend)
		if i >= len(raw) {
			return nil, false, bad
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return members, false, nil
		default:
			return nil, false, bad
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] ('"'),
// or -1.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index after the JSON value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j)
				if j < 0 {
					return -1
				}
				j--
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[j])) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// lookup finds a property the way Newtonsoft binds JSON to a .NET property:
// names match case-insensitively (so camelCase API 4.x and PascalCase both
// bind) and when several members bind, the last one in the document wins.
func lookup(members []member, name string) (json.RawMessage, bool) {
	var found json.RawMessage
	ok := false
	for _, m := range members {
		if strings.EqualFold(m.key, name) {
			found, ok = m.raw, true
		}
	}
	return found, ok
}

// jsonKind names the kind of a JSON value for error messages without
// quoting it (values may be secrets).
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

func isNull(raw []byte) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// Decode reads the body of GET /clients/{name}/settings: a JSON array of
// SettingDataContract. Property names match case-insensitively; a value's
// contract comes from its "$type", compared up to the comma (the assembly
// part is ignored); a missing "value" and "value": null (Fig 3.x) are both
// null. Numbers are kept as their JSON text. Errors name the setting and
// its position, never its value.
func Decode(data []byte) ([]Setting, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !json.Valid(data) {
		var syn *json.SyntaxError
		if err := json.Unmarshal(data, new(any)); errors.As(err, &syn) {
			return nil, fmt.Errorf("settings response is not valid JSON (offset %d)", syn.Offset)
		}
		return nil, errors.New("settings response is not valid JSON")
	}
	// One copy: every Raw below aliases it, so the caller's buffer is free.
	items, _, err := readArray(bytes.Clone(data))
	if err != nil {
		return nil, fmt.Errorf("settings response is not a JSON array of settings (found %s)", jsonKind(data))
	}
	settings := make([]Setting, 0, len(items))
	for i, raw := range items {
		s, err := decodeSetting(raw)
		if err != nil {
			if s.Name != "" {
				return nil, fmt.Errorf("setting %d (%q): %w", i, s.Name, err)
			}
			return nil, fmt.Errorf("setting %d: %w", i, err)
		}
		settings = append(settings, s)
	}
	return settings, nil
}

func decodeSetting(raw []byte) (Setting, error) {
	var s Setting
	members, null, err := readObject(raw)
	if err != nil {
		return s, err
	}
	if null {
		return s, errors.New("is null")
	}
	if nameRaw, ok := lookup(members, "name"); ok && !isNull(nameRaw) {
		if s.Name, ok = stringOf(nameRaw); !ok {
			return s, fmt.Errorf("name is %s, not a string", jsonKind(nameRaw))
		}
	}
	if s.Name == "" {
		return s, errors.New("has no name")
	}
	if secRaw, ok := lookup(members, "isSecret"); ok && !isNull(secRaw) {
		b, err := boolOf(secRaw)
		if err != nil {
			return s, fmt.Errorf("isSecret: %w", err)
		}
		s.IsSecret = b
	}
	valRaw, ok := lookup(members, "value")
	if !ok || isNull(valRaw) {
		return s, nil // no value object: null
	}
	s.Value, err = decodeValue(valRaw)
	return s, err
}

// decodeValue reads a SettingValueBaseDataContract object.
func decodeValue(raw []byte) (Value, error) {
	members, _, err := readObject(raw)
	if err != nil {
		return Value{}, fmt.Errorf("value: %w", err)
	}
	var typ string
	for _, m := range members {
		if m.key == "$type" {
			var ok bool
			if typ, ok = stringOf(m.raw); !ok {
				return Value{}, errors.New(`value: "$type" is not a string`)
			}
			break
		}
	}
	if typ == "" {
		return Value{}, errors.New(`value has no "$type", so its contract is unknown; the server must write "$type" first in every value object (Newtonsoft TypeNameHandling.Objects)`)
	}
	name := strings.TrimSpace(typ)
	if i := strings.IndexByte(name, ','); i >= 0 {
		name = strings.TrimSpace(name[:i])
	}
	kind, ok := kindByContract[name]
	if !ok {
		return Value{}, fmt.Errorf("unknown value type %q: fig-injector knows the nine Fig.Contracts.Settings value contracts (String, Int, Long, Double, Bool, DateTime, TimeSpan, DataGrid, Json); upgrade fig-injector if Fig added one", name)
	}
	v := Value{Kind: kind}
	inner, ok := lookup(members, "value")
	if !ok || isNull(inner) {
		return v, nil
	}
	v.Raw = bytes.TrimSpace(inner)
	if kind == KindDataGrid {
		v.Rows, err = decodeRows(v.Raw)
	} else {
		v.typed, err = typedOf(kind, v.Raw)
	}
	if err != nil {
		return Value{}, fmt.Errorf("%s value: %w", kind.ContractType(), err)
	}
	return v, nil
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
		t.text, err = scalarText(raw)
	case KindJSON, KindTimeSpan:
		var ok bool
		if t.text, ok = stringOf(raw); !ok {
			return t, fmt.Errorf("is %s, not a string", jsonKind(raw))
		}
		if kind == KindJSON {
			t = jsonTyped(t.text)
		}
	case KindDateTime:
		s, ok := stringOf(raw)
		if !ok {
			return t, fmt.Errorf("is %s, not a date string", jsonKind(raw))
		}
		if t.date, ok = parseDateValue(s); !ok {
			return t, errors.New("is not an ISO 8601 date and time")
		}
	case KindInt:
		t.number, err = intOf(raw, 32)
	case KindLong:
		t.number, err = intOf(raw, 64)
	case KindDouble:
		t.double, err = floatOf(raw)
	case KindBool:
		t.flag, err = boolOf(raw)
	}
	return t, err
}

// stringOf is the text of a JSON string; ok is false for anything else.
// A valid UTF-8 string without escapes is read without encoding/json
// (which would replace invalid UTF-8 with U+FFFD).
func stringOf(raw []byte) (text string, ok bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if inner := raw[1 : len(raw)-1]; raw[len(raw)-1] == '"' && bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	return text, json.Unmarshal(raw, &text) == nil
}

// parseDateValue reads a DateTimeSettingDataContract value as Newtonsoft
// does: the strict ISO parser, then the Microsoft form, then the looser
// DateTime.TryParse fallback.
func parseDateValue(s string) (netDate, bool) {
	if d, ok := parseNewtonsoftISO(s); ok {
		return d, true
	}
	if d, ok := parseMicrosoftDate(s); ok {
		return d, true
	}
	return parseDateLoose(s)
}

// decodeRows reads a data grid: an array of dictionary objects. Cells keep
// their document order; "$type" is metadata, not a column; a repeated key
// keeps its first position and its last value (Dictionary indexer).
func decodeRows(raw []byte) ([]Row, error) {
	if raw[0] != '[' {
		return nil, fmt.Errorf("is %s, not an array of rows", jsonKind(raw))
	}
	items, _, err := readArray(raw)
	if err != nil {
		return nil, errors.New("is not an array of rows")
	}
	rows := make([]Row, 0, len(items))
	for i, item := range items {
		members, null, err := readObject(item)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		if null {
			return nil, fmt.Errorf("row %d is null", i)
		}
		row := make(Row, 0, len(members))
		for _, m := range members {
			if m.key == "$type" {
				continue
			}
			cell := cellOf(m.key, bytes.TrimSpace(m.raw))
			replaced := false
			for j := range row {
				if row[j].Column == m.key {
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

// intOf reads an integer of the given bit size the way Newtonsoft reads an
// int or long: a JSON integer, an integral number written with a fraction
// or exponent, or a string holding an integer. The value is never quoted in
// the error.
func intOf(raw []byte, bits int) (int64, error) {
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var ok bool
		if text, ok = stringOf(raw); !ok {
			return 0, errors.New("is not a valid string")
		}
		text = strings.TrimSpace(text)
	} else if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, fmt.Errorf("is %s, not an integer", jsonKind(raw))
	}
	n, err := strconv.ParseInt(text, 10, bits)
	if err == nil {
		return n, nil
	}
	if f, ferr := strconv.ParseFloat(text, 64); ferr == nil && f == math.Trunc(f) &&
		f >= -math.Ldexp(1, bits-1) && f < math.Ldexp(1, bits-1) {
		return int64(f), nil
	}
	return 0, fmt.Errorf("is not a %d-bit integer", bits)
}

// floatOf reads a double: a JSON number, or a string holding a number,
// "NaN", "Infinity" or "-Infinity" (how Newtonsoft writes non-finite values).
func floatOf(raw []byte) (float64, error) {
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var ok bool
		if text, ok = stringOf(raw); !ok {
			return 0, errors.New("is not a valid string")
		}
		switch strings.TrimSpace(text) {
		case "NaN":
			return math.NaN(), nil
		case "Infinity", "∞":
			return math.Inf(1), nil
		case "-Infinity", "-∞":
			return math.Inf(-1), nil
		}
		text = strings.TrimSpace(text)
	} else if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, fmt.Errorf("is %s, not a number", jsonKind(raw))
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return f, nil // ±Inf or 0, as .NET's parser gives
		}
		return 0, errors.New("is not a number")
	}
	return f, nil
}

// boolOf reads a boolean: true/false, a string holding one (any case), or
// an integer (non-zero is true), as Newtonsoft's ReadAsBoolean does.
func boolOf(raw []byte) (bool, error) {
	switch s := string(raw); {
	case s == "true":
		return true, nil
	case s == "false":
		return false, nil
	case len(raw) > 0 && raw[0] == '"':
		if text, ok := stringOf(raw); ok {
			switch strings.ToLower(strings.TrimSpace(text)) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
	case len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9'):
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n != 0, nil
		}
	}
	return false, fmt.Errorf("is %s, not a boolean", jsonKind(raw))
}

// scalarText is the string Newtonsoft's ReadAsString gives for a JSON
// scalar read into a string property: strings as they are, integers as
// their long text, other numbers as .NET formats a double, booleans as
// "True"/"False".
func scalarText(raw []byte) (string, error) {
	if len(raw) == 0 {
		return "", io.ErrUnexpectedEOF
	}
	switch raw[0] {
	case '"':
		s, ok := stringOf(raw)
		if !ok {
			return "", errors.New("is not a valid string")
		}
		return s, nil
	case 't':
		return "True", nil
	case 'f':
		return "False", nil
	case '{', '[':
		return "", fmt.Errorf("is %s, not a string", jsonKind(raw))
	}
	return numberText(raw), nil
}

// numberText formats a JSON number as .NET does after Newtonsoft read it
// into object: integers become long (BigInteger beyond), their decimal
// text; numbers with a fraction or exponent become double.
func numberText(raw []byte) string {
	s := string(raw)
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.FormatInt(n, 10)
		}
		// BigInteger: its digits, without a leading "+" or zeros.
		neg := strings.HasPrefix(s, "-")
		d := strings.TrimLeft(strings.TrimPrefix(s, "-"), "0")
		if d == "" {
			return "0"
		}
		if neg {
			return "-" + d
		}
		return d
	}
	f, err := floatOf(raw)
	if err != nil {
		return s
	}
	return FormatDouble(f)
}
