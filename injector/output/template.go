package output

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

// Template is a parsed Go text/template for FormatTemplate. It is safe for
// concurrent use: each execution works on its own clone.
type Template struct {
	tmpl *template.Template
}

// ParseTemplate parses text as a Go text/template. name is the template's
// file path: parse and execution errors begin "template: NAME:LINE:", so an
// operator can find the mistake.
//
// Templates run with missingkey=error: a missing map key fails the render
// instead of writing "<no value>".
//
// # Data model
//
// Dot is a struct with two fields:
//
//   - .Tree: the tree of BuildTree as nested map[string]any (objects),
//     []any (arrays) and string (leaves), e.g.
//     {{ .Tree.ConnectionStrings.Orders }} or {{ index .Tree.Hosts 0 }}.
//     Map lookups are case-sensitive and use the first spelling of each
//     segment. A key that is both a value and a parent is only a parent here.
//   - .Entries: every entry, sorted, as a []struct{Key, Value string}, e.g.
//     {{ range .Entries }}{{ .Key }}={{ .Value }}{{ end }}.
//
// # Functions
//
//   - get KEY: the value of configuration key KEY ("A:B"), matched
//     case-insensitively as .NET does; an error if there is none.
//   - has KEY: whether KEY has a value.
//   - default DEF VALUE: VALUE, or DEF if VALUE is empty; e.g.
//     {{ get "Log:Level" | default "Info" }} (use has for missing keys).
//   - json VALUE: VALUE as JSON (a string becomes a quoted JSON string, a
//     .Tree subtree an object with sorted keys).
//   - env KEY: the environment variable name of KEY (':' becomes '__'); an
//     error if that is not a valid name.
//   - quote VALUE: VALUE as one POSIX shell word, as the env format quotes
//     it (a pair of single quotes when empty).
//   - base64 VALUE: standard base64 with padding.
//
// So {{ range .Entries }}{{ env .Key }}={{ quote .Value }}{{ "\n" }}{{ end }}
// writes a shell-sourceable file.
//
// Errors from an execution never contain a secret value: any secret's text
// in the message is replaced by "[REDACTED]".
func ParseTemplate(name string, text []byte) (*Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(templateFuncs(nil)).Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("parse %w", err)
	}
	return &Template{tmpl: t}, nil
}

// templateData is dot; see ParseTemplate.
type templateData struct {
	Tree    map[string]any
	Entries []templateEntry
}

// templateEntry is one element of .Entries.
type templateEntry struct {
	Key   string
	Value string
}

// execute renders the template over entries.
func (t *Template) execute(entries []source.Entry) ([]byte, []Problem, error) {
	root, problems := BuildTree(entries)
	data := templateData{Tree: treeValue(root).(map[string]any)}
	values := make(map[string]string, len(entries))
	for _, e := range entries {
		data.Entries = append(data.Entries, templateEntry{Key: e.Key, Value: e.Value.Reveal()})
		values[strings.ToUpper(e.Key)] = e.Value.Reveal()
	}

	run, err := t.tmpl.Clone()
	if err != nil {
		return nil, problems, fmt.Errorf("clone template: %w", err)
	}
	var buf bytes.Buffer
	if err := run.Funcs(templateFuncs(values)).Execute(&buf, data); err != nil {
		return nil, problems, redact(fmt.Errorf("execute %w", err), entries)
	}
	return buf.Bytes(), problems, nil
}

// treeValue converts a node to the maps, slices and strings of .Tree.
func treeValue(n *Node) any {
	switch {
	case n.leaf:
		return n.value.Reveal()
	case n.array:
		s := make([]any, len(n.children))
		for i, c := range n.children {
			s[i] = treeValue(c)
		}
		return s
	}
	m := make(map[string]any, len(n.children))
	for _, c := range n.children {
		m[c.name] = treeValue(c)
	}
	return m
}

// redact returns err's message with every secret entry blanked in every
// form the message can carry it (secret.Redactor). text/template quotes the
// operands of a failed call ("map has no entry for key …"), and a template
// may pass a secret there. The error chain is dropped on purpose: the
// original error holds the text.
func redact(err error, entries []source.Entry) error {
	var values []secret.Value
	for _, e := range entries {
		if e.Secret {
			values = append(values, e.Value)
		}
	}
	r := secret.NewRedactor()
	r.Remember("entries", values...)
	return errors.New(r.Redact(err.Error()))
}
