package contract

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
)

// typeSettingContract is SettingDataContract's "$type".
const typeSettingContract = "Fig.Contracts.Settings.SettingDataContract, Fig.Contracts"

// SettingOverride is one ClientSettingOverrides entry: a value the
// application's environment supplies for a setting, which Fig applies at
// registration and shows as externally managed.
type SettingOverride struct {
	Name     string
	IsSecret bool
	Value    Value
}

// kindOfValueType is the value contract Fig.Client's
// ValueDataContractFactory makes for a setting's type.
var kindOfValueType = map[string]Kind{
	TypeString: KindString, TypeInt32: KindInt, TypeInt64: KindLong, TypeDouble: KindDouble,
	TypeBoolean: KindBool, TypeDateTime: KindDateTime, TypeTimeSpan: KindTimeSpan,
}

// Overrides turns override texts, by setting name (case-insensitive, as
// .NET configuration keys are), into what Fig.Client's
// EnvironmentVariableReader.ReadSettingOverrides sends: one entry per
// declared setting that has a value, in declaration order, under the
// declared name, with the setting's IsSecret, the text converted to the
// setting's type as ValueDataContractFactory.CreateContract converts an
// environment variable (invariant culture; a JSON setting's text travels as
// a string). A name the definition lacks, a data grid (Fig.Client reads
// those from indexed variables only) or a text the type cannot hold is an
// error naming the setting and the fix.
func Overrides(def Definition, texts map[string]string) ([]SettingOverride, error) {
	byName := map[string]string{}
	for name, text := range texts {
		byName[strings.ToLower(name)] = text
	}
	var out []SettingOverride
	var errs []string
	for _, s := range def.Settings {
		text, ok := byName[strings.ToLower(s.Name)]
		if !ok {
			continue
		}
		delete(byName, strings.ToLower(s.Name))
		v, err := overrideValue(s, text)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", s.Name, err))
			continue
		}
		out = append(out, SettingOverride{Name: s.Name, IsSecret: s.IsSecret, Value: v})
	}
	for name := range texts {
		if _, left := byName[strings.ToLower(name)]; left {
			errs = append(errs, fmt.Sprintf("%s: is not a setting of the declaration; fix: use a declared setting name, e.g. %s", name, def.Settings[0].Name))
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

// overrideValue converts one override text to the setting's value contract.
func overrideValue(s SettingDefinition, text string) (Value, error) {
	if s.DataGrid != nil || s.ValueType == TypeDataGrid {
		return Value{}, fmt.Errorf("is a data grid, which an override cannot set; fix: set it in Fig, or remove the override")
	}
	kind, ok := kindOfValueType[s.ValueType]
	if !ok {
		return Value{}, fmt.Errorf("has the type %s, which an override cannot set; fix: remove the override", s.ValueType)
	}
	raw := strings.TrimSpace(text) // Int32.Parse and friends allow surrounding white space
	switch kind {
	case KindString:
		return StringValue(text), nil
	case KindBool:
		raw = strings.ToLower(raw) // bool.Parse ignores case
	case KindDateTime, KindTimeSpan:
		b, _ := json.Marshal(raw)
		raw = string(b)
	}
	if raw == "" || raw == "null" {
		return Value{}, fmt.Errorf("is empty; fix: give a %s value, or remove the override", kind)
	}
	v, err := scalarDefault(kind, json.RawMessage(raw))
	if err != nil {
		return Value{}, fmt.Errorf("%q %v; fix: give a %s value as .NET parses it (invariant culture)", text, err, kind)
	}
	return v, nil
}

// writeOverrides writes ClientSettingOverrides as Fig.Client's Newtonsoft
// (TypeNameHandling.Objects) does: SettingDataContract objects with "$type"
// first, then Name, IsSecret and Value in declaration order.
func writeOverrides(w *dotnet.Writer, overrides []SettingOverride) { WriteSettings(w, overrides) }

// WriteSettings writes settings as a JSON array of SettingDataContract the
// way Fig.Client's Newtonsoft (TypeNameHandling.Objects) does, for the
// registration's overrides and the offline copy's Settings
// (OfflineSettingsManager.Save serializes them with JsonSettings.FigDefault).
func WriteSettings(w *dotnet.Writer, overrides []SettingOverride) {
	if len(overrides) == 0 {
		w.EmptyArray()
		return
	}
	w.OpenArray()
	for _, o := range overrides {
		w.Open(typeSettingContract)
		w.Key("Name")
		w.Str(o.Name)
		w.Key("IsSecret")
		w.Bool(o.IsSecret)
		w.Key("Value")
		writeValue(w, o.Value)
		w.Close()
	}
	w.CloseArray()
}
