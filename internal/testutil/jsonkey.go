package testutil

import "strings"

// JSONKey walks a decoded JSON document along a ":"-separated .NET
// configuration key (Shipping:Carrier) and returns the string there, or ""
// when the key is absent or not a string: how the tests read one setting
// out of a rendered appsettings.json.
func JSONKey(doc any, key string) string {
	v := doc
	for _, seg := range strings.Split(key, ":") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[seg]
	}
	s, _ := v.(string)
	return s
}
