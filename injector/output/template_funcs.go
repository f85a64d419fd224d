package output

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
)

// templateFuncs returns the template functions documented on ParseTemplate.
// values maps folded keys to values; parsing passes nil, since parsing only
// checks that the functions exist.
func templateFuncs(values map[string]string) template.FuncMap {
	lookup := func(key string) (string, bool) {
		v, ok := values[strings.ToUpper(key)]
		return v, ok
	}
	return template.FuncMap{
		"get": func(key string) (string, error) {
			if v, ok := lookup(key); ok {
				return v, nil
			}
			return "", fmt.Errorf("no configuration key %q (use has to test for it)", key)
		},
		"has": func(key string) bool {
			_, ok := lookup(key)
			return ok
		},
		"default": func(def, v string) string {
			if v == "" {
				return def
			}
			return v
		},
		"json":   toJSON,
		"env":    envNameFunc,
		"quote":  shellQuote,
		"base64": func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) },
	}
}

// toJSON encodes v without HTML escaping and without the trailing newline.
func toJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("json: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// envNameFunc is the template function env.
func envNameFunc(key string) (string, error) {
	name, ok := envName(key)
	if !ok {
		return "", fmt.Errorf("key %q is not an environment variable name after ':' becomes '__'", key)
	}
	return name, nil
}
