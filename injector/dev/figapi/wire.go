package figapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Fig source: JsonSettings.FigHttp (src/common/Fig.Common.NetStandard/Json/JsonSettings.cs:
// TypeNameHandling.Objects, TypeNameAssemblyFormatHandling.Simple,
// NullValueHandling.Ignore, invariant culture), its FigSerializationBinder
// and ShortNameTypeJsonConverter (same folder), which the API's
// AddNewtonsoftJson applies to every controller (src/api/Fig.Api/Program.cs).
// The contract type names ("$type") Fig writes (contracts/fig-api.md §3.1,
// TypeNameAssemblyFormatHandling.Simple).
const (
	typeSetting      = "Fig.Contracts.Settings.SettingDataContract, Fig.Contracts"
	typeStatus       = "Fig.Contracts.Status.StatusResponseDataContract, Fig.Contracts"
	typeCapabilities = "Fig.Contracts.Capabilities.FigCapabilitiesDataContract, Fig.Contracts"
	typeAPIVersion   = "Fig.Contracts.Status.ApiVersionDataContract, Fig.Contracts"
	typeGridRow      = "System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib"
)

// valueTypeNames maps a kind to its value contract's "$type".
var valueTypeNames = map[Kind]string{
	KindString:   "Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts",
	KindInt:      "Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts",
	KindLong:     "Fig.Contracts.Settings.LongSettingDataContract, Fig.Contracts",
	KindDouble:   "Fig.Contracts.Settings.DoubleSettingDataContract, Fig.Contracts",
	KindBool:     "Fig.Contracts.Settings.BoolSettingDataContract, Fig.Contracts",
	KindDateTime: "Fig.Contracts.Settings.DateTimeSettingDataContract, Fig.Contracts",
	KindTimeSpan: "Fig.Contracts.Settings.TimeSpanSettingDataContract, Fig.Contracts",
	KindJSON:     "Fig.Contracts.Settings.JsonSettingDataContract, Fig.Contracts",
	KindDataGrid: "Fig.Contracts.Settings.DataGridSettingDataContract, Fig.Contracts",
}

// rawJSON is a JSON text written as is (nested objects in data-grid cells).
type rawJSON []byte

// wire writes JSON the way Fig's API configures Newtonsoft: "$type" as the
// first member of every object, the member order of the C# class, and null
// members left out, or written when nulls is set (Fig 3.x, which did not
// set NullValueHandling). Members inside data-grid rows are dictionary
// entries, which Newtonsoft writes even when null.
type wire struct {
	b     []byte
	nulls bool
}

// obj is an open JSON object; members are separated as they are added.
type obj struct {
	w *wire
	n int
}

// object opens an object whose first member is "$type": typ ("" for none,
// as in error bodies).
func (w *wire) object(typ string) *obj {
	w.b = append(w.b, '{')
	o := &obj{w: w}
	if typ != "" {
		o.str("$type", typ)
	}
	return o
}

// key starts a member; the caller writes its value.
func (o *obj) key(k string) {
	if o.n > 0 {
		o.w.b = append(o.w.b, ',')
	}
	o.n++
	o.w.str(k)
	o.w.b = append(o.w.b, ':')
}

func (o *obj) str(k, v string) { o.key(k); o.w.str(v) }
func (o *obj) boolean(k string, v bool) {
	o.key(k)
	o.w.b = strconv.AppendBool(o.w.b, v)
}
func (o *obj) double(k string, v float64) { o.key(k); o.w.double(v) }

// null writes k: null when nulls are written, and nothing otherwise.
func (o *obj) null(k string) {
	if o.w.nulls {
		o.key(k)
		o.w.b = append(o.w.b, "null"...)
	}
}

// strings writes k as an array of strings (arrays carry no "$type").
func (o *obj) strings(k string, vs []string) {
	o.key(k)
	o.w.b = append(o.w.b, '[')
	for i, v := range vs {
		if i > 0 {
			o.w.b = append(o.w.b, ',')
		}
		o.w.str(v)
	}
	o.w.b = append(o.w.b, ']')
}

func (o *obj) close() { o.w.b = append(o.w.b, '}') }

// str writes a JSON string escaped as Newtonsoft's default
// StringEscapeHandling does: control characters, '"', '\\', U+0085, U+2028
// and U+2029; '<', '>', '&' and other non-ASCII text stay as they are.
// Invalid UTF-8 becomes U+FFFD, as a .NET string cannot hold it.
func (w *wire) str(s string) {
	const hex = "0123456789abcdef"
	w.b = append(w.b, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch r {
		case '"':
			w.b = append(w.b, '\\', '"')
		case '\\':
			w.b = append(w.b, '\\', '\\')
		case '\n':
			w.b = append(w.b, '\\', 'n')
		case '\r':
			w.b = append(w.b, '\\', 'r')
		case '\t':
			w.b = append(w.b, '\\', 't')
		case '\b':
			w.b = append(w.b, '\\', 'b')
		case '\f':
			w.b = append(w.b, '\\', 'f')
		case 0x85, 0x2028, 0x2029:
			w.b = append(w.b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		default:
			if r < 0x20 {
				w.b = append(w.b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
				continue
			}
			w.b = utf8.AppendRune(w.b, r)
		}
	}
	w.b = append(w.b, '"')
}

func (w *wire) double(f float64) {
	text, quoted := formatDouble(f)
	if quoted {
		w.str(text)
		return
	}
	w.b = append(w.b, text...)
}

// value writes a value contract object. asJSON serves a string value as a
// JsonSettingDataContract (the setting has a schema).
func (w *wire) value(v Value, asJSON bool) {
	k := v.kind
	if k == KindString && asJSON {
		k = KindJSON
	}
	if k == KindJSON && !asJSON {
		k = KindString
	}
	o := w.object(valueTypeNames[k])
	if v.null {
		o.null("value")
		o.close()
		return
	}
	switch k {
	case KindString, KindJSON:
		o.str("value", v.text.Reveal())
	case KindInt, KindLong:
		o.key("value")
		w.b = strconv.AppendInt(w.b, v.num, 10)
	case KindDouble:
		o.double("value", v.f)
	case KindBool:
		o.boolean("value", v.b)
	case KindDateTime:
		o.str("value", formatDateTime(v.t, v.tz))
	case KindTimeSpan:
		o.str("value", formatTimeSpan(v.span))
	case KindDataGrid:
		o.key("value")
		w.rows(v.rows)
	}
	o.close()
}

// rows writes data-grid rows: each a Dictionary<string, object> with its
// own "$type", its keys in their original case and order, nulls included.
func (w *wire) rows(rows []Row) {
	w.b = append(w.b, '[')
	for i, r := range rows {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		o := w.object(typeGridRow)
		for _, c := range r {
			o.key(c.Column)
			w.cell(c.Value)
		}
		o.close()
	}
	w.b = append(w.b, ']')
}

// cell writes one data-grid cell (see Cell for the types).
func (w *wire) cell(x any) {
	x, ok := normalCell(x)
	if !ok {
		w.b = append(w.b, "null"...)
		return
	}
	switch c := x.(type) {
	case nil:
		w.b = append(w.b, "null"...)
	case string:
		w.str(c)
	case bool:
		w.b = strconv.AppendBool(w.b, c)
	case int64:
		w.b = strconv.AppendInt(w.b, c, 10)
	case float64:
		w.double(c)
	case []any:
		w.b = append(w.b, '[')
		for i, e := range c {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.cell(e)
		}
		w.b = append(w.b, ']')
	case rawJSON:
		var buf bytes.Buffer
		if err := json.Compact(&buf, c); err != nil {
			w.b = append(w.b, "null"...)
			return
		}
		w.b = append(w.b, buf.Bytes()...)
	}
}
