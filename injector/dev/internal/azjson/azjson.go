// Package azjson encodes response bodies as the Azure services the
// emulators stand in for (Entra ID, Key Vault) write them.
package azjson

import (
	"bytes"
	"encoding/json"
)

// Marshal encodes v compactly, without a trailing newline and without
// HTML escaping: the services write "&" (in Key Vault's nextLinks, for
// one) and "<" literally, where json.Marshal would write \u0026.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
