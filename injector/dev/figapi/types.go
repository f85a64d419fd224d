package figapi

import (
	"fmt"
	"strings"
)

// .NET type names: the ValueType of a setting definition is a System.Type
// written as a string, assembly-qualified by Fig.Client ("System.String,
// System.Private.CoreLib, Version=8.0.0.0, …") or short ("System.String");
// the API resolves both to the same type (contracts/fig-api.md §2.2; Fig
// source: ShortNameTypeJsonConverter.ReadJson in
// src/common/Fig.Common.NetStandard/Json/ShortNameTypeJsonConverter.cs
// "deserializes both short and full assembly-qualified names").

// The canonical names (Type.ToString()) of the types Fig supports.
const (
	netString   = "System.String"
	netInt      = "System.Int32"
	netLong     = "System.Int64"
	netDouble   = "System.Double"
	netBool     = "System.Boolean"
	netDateTime = "System.DateTime"
	netTimeSpan = "System.TimeSpan"
	netDataGrid = "System.Collections.Generic.List`1[System.Collections.Generic.Dictionary`2[System.String,System.Object]]"
)

// netTypeOfKind is the .NET type of a value of each kind (what GetType()
// returns for the value, and the ValueType seeded settings get).
var netTypeOfKind = map[Kind]string{
	KindString:   netString,
	KindJSON:     netString,
	KindInt:      netInt,
	KindLong:     netLong,
	KindDouble:   netDouble,
	KindBool:     netBool,
	KindDateTime: netDateTime,
	KindTimeSpan: netTimeSpan,
	KindDataGrid: netDataGrid,
}

// kindOfNetType maps a canonical type name to the kind Fig stores it as.
// Nullable value types store as their underlying kind.
func kindOfNetType(canon string) (Kind, bool) {
	if inner, ok := strings.CutPrefix(canon, "System.Nullable`1["); ok {
		canon = strings.TrimSuffix(inner, "]")
	}
	switch canon {
	case netString:
		return KindString, true
	case netInt:
		return KindInt, true
	case netLong:
		return KindLong, true
	case netDouble:
		return KindDouble, true
	case netBool:
		return KindBool, true
	case netDateTime:
		return KindDateTime, true
	case netTimeSpan:
		return KindTimeSpan, true
	case netDataGrid:
		return KindDataGrid, true
	}
	return KindNone, false
}

// canonicalType reduces a .NET type name to Type.ToString() form: no
// assembly names, generic arguments in single brackets.
// "System.Nullable`1[[System.Int32, System.Private.CoreLib]], System.Private.CoreLib"
// becomes "System.Nullable`1[System.Int32]".
func canonicalType(name string) (string, error) {
	p := &typeParser{s: strings.TrimSpace(name)}
	t, err := p.typeName()
	if err != nil {
		return "", fmt.Errorf("type name %q: %w", name, err)
	}
	p.skipAssembly()
	if p.i != len(p.s) {
		return "", fmt.Errorf("type name %q: unexpected %q", name, p.s[p.i:])
	}
	return t, nil
}

type typeParser struct {
	s string
	i int
}

// typeName reads Name[args] and returns its canonical form.
func (p *typeParser) typeName() (string, error) {
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune("[],", rune(p.s[p.i])) {
		p.i++
	}
	name := strings.TrimSpace(p.s[start:p.i])
	if name == "" {
		return "", fmt.Errorf("empty type name at %d", start)
	}
	if p.i >= len(p.s) || p.s[p.i] != '[' {
		return name, nil
	}
	p.i++ // '['
	var args []string
	for {
		p.space()
		var arg string
		var err error
		if p.i < len(p.s) && p.s[p.i] == '[' { // [AssemblyQualifiedName]
			p.i++
			if arg, err = p.typeName(); err != nil {
				return "", err
			}
			p.skipAssembly()
			if p.i >= len(p.s) || p.s[p.i] != ']' {
				return "", fmt.Errorf("missing ']' at %d", p.i)
			}
			p.i++
		} else if arg, err = p.typeName(); err != nil {
			return "", err
		}
		args = append(args, arg)
		p.space()
		if p.i >= len(p.s) {
			return "", fmt.Errorf("missing ']'")
		}
		if p.s[p.i] == ']' {
			p.i++
			break
		}
		if p.s[p.i] != ',' {
			return "", fmt.Errorf("unexpected %q at %d", p.s[p.i], p.i)
		}
		p.i++
	}
	return name + "[" + strings.Join(args, ",") + "]", nil
}

// skipAssembly skips ", Assembly, Version=…, …" up to a closing bracket or
// the end.
func (p *typeParser) skipAssembly() {
	if p.i < len(p.s) && p.s[p.i] == ',' {
		for p.i < len(p.s) && p.s[p.i] != ']' {
			p.i++
		}
	}
}

func (p *typeParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

// valueKindOfTypeName maps a value contract "$type" ("Fig.Contracts.Settings.IntSettingDataContract,
// Fig.Contracts[, Version=…]") to its kind. The API's serialization binder
// accepts only known Fig contract types.
func valueKindOfTypeName(typ string) (Kind, bool) {
	name, asm, _ := strings.Cut(typ, ",")
	asm, _, _ = strings.Cut(strings.TrimSpace(asm), ",")
	if strings.TrimSpace(asm) != "Fig.Contracts" {
		return KindNone, false
	}
	name = strings.TrimSpace(name)
	for k, t := range valueTypeNames {
		if n, _, _ := strings.Cut(t, ","); n == name {
			return k, true
		}
	}
	return KindNone, false
}

// ParseKind reads a kind from its name ("String", "int", "DataGrid", …; case
// does not matter) or from a .NET type name ("System.Int32", an
// assembly-qualified name, a Nullable or the data-grid list type), for seed
// files.
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if k != 0 && strings.EqualFold(s, n) {
			return Kind(k), nil
		}
	}
	switch strings.ToLower(s) {
	case "integer", "int32":
		return KindInt, nil
	case "int64":
		return KindLong, nil
	case "boolean":
		return KindBool, nil
	case "float", "float64", "number":
		return KindDouble, nil
	case "list":
		return KindDataGrid, nil
	}
	if canon, err := canonicalType(s); err == nil {
		if k, ok := kindOfNetType(canon); ok {
			return k, nil
		}
	}
	return KindNone, fmt.Errorf("unknown kind %q: want String, Int, Long, Double, Bool, DateTime, TimeSpan, Json or DataGrid", s)
}
