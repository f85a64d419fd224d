package fig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
)

// Decode reads the body of GET /clients/{name}/settings: a JSON array of
// SettingDataContract. Property names match case-insensitively; a value's
// contract comes from its "$type", compared up to the comma (the assembly
// part is ignored); a missing "value" and "value": null (Fig 3.x) are both
// null. Each value is read once into its typed value (contract.DecodeValue)
// and keeps its JSON text verbatim; a value Fig.Client could not read fails
// here, so Map has nothing left to parse. Errors name the setting and its
// position, never its value.
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
	items, _, err := dotnet.ReadArray(bytes.Clone(data))
	if err != nil {
		return nil, fmt.Errorf("settings response is not a JSON array of settings (found %s)", dotnet.JSONKind(data))
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
	members, null, err := dotnet.ReadObject(raw)
	if err != nil {
		return s, err
	}
	if null {
		return s, errors.New("is null")
	}
	if nameRaw, ok := dotnet.Lookup(members, "name"); ok && !dotnet.IsNull(nameRaw) {
		if s.Name, ok = dotnet.Unquote(nameRaw); !ok {
			return s, fmt.Errorf("name is %s, not a string", dotnet.JSONKind(nameRaw))
		}
	}
	if s.Name == "" {
		return s, errors.New("has no name")
	}
	if secRaw, ok := dotnet.Lookup(members, "isSecret"); ok && !dotnet.IsNull(secRaw) {
		b, err := dotnet.ReadBool(secRaw)
		if err != nil {
			return s, fmt.Errorf("isSecret: %w", err)
		}
		s.IsSecret = b
	}
	valRaw, ok := dotnet.Lookup(members, "value")
	if !ok || dotnet.IsNull(valRaw) {
		return s, nil // no value object: null
	}
	s.Value, err = contract.DecodeValue(valRaw)
	return s, err
}
