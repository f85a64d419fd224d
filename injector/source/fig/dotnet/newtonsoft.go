package dotnet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ReadInt reads an integer of the given bit size the way Newtonsoft reads an
// int or long: a JSON integer, an integral number written with a fraction
// or exponent, or a string holding an integer. The value is never quoted in
// the error.
func ReadInt(raw []byte, bits int) (int64, error) {
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var ok bool
		if text, ok = Unquote(raw); !ok {
			return 0, errors.New("is not a valid string")
		}
		text = strings.TrimSpace(text)
	} else if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, fmt.Errorf("is %s, not an integer", JSONKind(raw))
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

// ReadDouble reads a double: a JSON number, or a string holding a number,
// "NaN", "Infinity" or "-Infinity" (how Newtonsoft writes non-finite values).
func ReadDouble(raw []byte) (float64, error) {
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var ok bool
		if text, ok = Unquote(raw); !ok {
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
		return 0, fmt.Errorf("is %s, not a number", JSONKind(raw))
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

// ReadBool reads a boolean: true/false, a string holding one (any case), or
// an integer (non-zero is true), as Newtonsoft's ReadAsBoolean does.
func ReadBool(raw []byte) (bool, error) {
	switch s := string(raw); {
	case s == "true":
		return true, nil
	case s == "false":
		return false, nil
	case len(raw) > 0 && raw[0] == '"':
		if text, ok := Unquote(raw); ok {
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
	return false, fmt.Errorf("is %s, not a boolean", JSONKind(raw))
}

// ReadString is the string Newtonsoft's ReadAsString gives for a JSON
// scalar read into a string property: strings as they are, integers as
// their long text, other numbers as .NET formats a double, booleans as
// "True"/"False".
func ReadString(raw []byte) (string, error) {
	if len(raw) == 0 {
		return "", io.ErrUnexpectedEOF
	}
	switch raw[0] {
	case '"':
		s, ok := Unquote(raw)
		if !ok {
			return "", errors.New("is not a valid string")
		}
		return s, nil
	case 't':
		return "True", nil
	case 'f':
		return "False", nil
	case '{', '[':
		return "", fmt.Errorf("is %s, not a string", JSONKind(raw))
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
	f, err := ReadDouble(raw)
	if err != nil {
		return s
	}
	return FormatDouble(f)
}

// CellText is Convert.ToString(cell, InvariantCulture) for a value that
// Newtonsoft read into object: null is "", booleans "True"/"False",
// integers their long text, other numbers .NET's double text, strings that
// look like ISO dates (Newtonsoft's DateParseHandling.DateTime) the invariant
// "MM/dd/yyyy HH:mm:ss", other strings themselves, objects indented JSON.
func CellText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case 'n':
		return ""
	case 't':
		return "True"
	case 'f':
		return "False"
	case '"':
		s, ok := Unquote(raw)
		if !ok {
			return ""
		}
		if d, ok := newtonsoftDate(s); ok {
			return d.invariantGeneral()
		}
		return s
	case '{', '[':
		return indentedJSON(raw)
	}
	return numberText(raw)
}

// TokenText is JToken.ToString() for an item of a JSON array cell: like
// CellText (the container's culture is assumed invariant).
func TokenText(raw json.RawMessage) string { return CellText(bytes.TrimSpace(raw)) }

// newtonsoftDate is DateTimeUtils.TryParseDateTime as the JSON reader
// applies it to every string read into object.
func newtonsoftDate(s string) (Date, bool) {
	if strings.HasPrefix(s, "/") {
		return parseMicrosoftDate(s)
	}
	return parseNewtonsoftISO(s)
}

// indentedJSON is JToken.ToString() for an object or array: two-space
// indented JSON with "name": value members.
func indentedJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}
