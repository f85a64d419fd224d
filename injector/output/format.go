package output

import (
	"errors"
	"fmt"

	"github.com/fig-injector/fig-injector/injector/rules"
	"github.com/fig-injector/fig-injector/injector/source"
)

// Format names an output encoding. The names are the `format:` values of the
// agent config (SPEC §2), rules.Formats; Encode handles each.
type Format string

// The formats.
const (
	FormatJSON       Format = "json"
	FormatYAML       Format = "yaml"
	FormatEnv        Format = "env"
	FormatProperties Format = "properties"
	FormatTemplate   Format = "template"
)

// ParseFormat returns the Format named s, or an error listing the valid names.
func ParseFormat(s string) (Format, error) {
	if !rules.Format(s) {
		return "", fmt.Errorf("unknown output format %q: use one of %s", s, rules.FormatsText())
	}
	return Format(s), nil
}

// errNoTemplate is returned when FormatTemplate is asked for without a template.
var errNoTemplate = errors.New("format template needs a parsed template")

// Encode renders entries in format f and returns the file's bytes.
//
// Entries are written in the order given: pass merge.Result.Entries, which
// is sorted, so the bytes depend only on the configuration. tmpl is used by
// FormatTemplate only and must be non-nil for it.
//
// Problems lists keys that the format could not hold as given: in json,
// yaml and template (.Tree) see BuildTree; in env and properties, keys that
// map to the same name as a key of higher precedence (resolveNames). The
// bytes are still complete. An error means no
// bytes: an unknown format, an env key that is no environment variable name,
// or a template that failed to execute. Errors name keys, never values.
func Encode(f Format, entries []source.Entry, tmpl *Template) ([]byte, []Problem, error) {
	switch f {
	case FormatJSON:
		root, problems := BuildTree(entries)
		return encodeJSON(root), problems, nil
	case FormatYAML:
		root, problems := BuildTree(entries)
		return encodeYAML(root), problems, nil
	case FormatEnv:
		entries, problems := resolveNames(entries, func(k string) string { n, _ := envName(k); return n })
		b, err := encodeEnv(entries)
		return b, problems, err
	case FormatProperties:
		entries, problems := resolveNames(entries, propertyName)
		return encodeProperties(entries), problems, nil
	case FormatTemplate:
		if tmpl == nil {
			return nil, nil, errNoTemplate
		}
		return tmpl.execute(entries)
	}
	_, err := ParseFormat(string(f))
	return nil, nil, err
}
