package rules

import (
	"strings"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// YAMLProblem says which step of DecodeYAML failed.
type YAMLProblem int

// The steps of DecodeYAML. The zero value is no problem kind, so a
// YAMLError built by hand without a kind is visible.
const (
	_ YAMLProblem = iota
	// YAMLSyntax: the text is not YAML (indentation, a duplicated key).
	YAMLSyntax
	// YAMLType: a value has the wrong type (a list where text belongs).
	YAMLType
	// YAMLFields: unknown fields, or fields given twice in JSON.
	YAMLFields
)

// YAMLFixes are the fixes a caller gives for each kind of problem; an empty
// one adds no fix.
type YAMLFixes struct {
	Syntax, Type, Fields string
}

// YAMLError is DecodeYAML's error.
type YAMLError struct {
	Problem YAMLProblem
	// Errs are the decoder's errors: one for YAMLSyntax and YAMLType (the
	// latter often a *json.UnmarshalTypeError), one per field for
	// YAMLFields.
	Errs []error
	// Fix is the caller's fix for Problem.
	Fix string
}

// Error joins the problems (the YAML parser's own wording after "not valid
// YAML: ", the JSON decoder's without its "json: " prefix, which name the
// field's path) and the fix.
func (e *YAMLError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = strings.TrimPrefix(err.Error(), "json: ")
		if e.Problem == YAMLSyntax {
			msgs[i] = "not valid YAML: " + err.Error()
		}
	}
	msg := strings.Join(msgs, "; ")
	if e.Fix != "" {
		msg += "; fix: " + e.Fix
	}
	return msg
}

// Unwrap returns the decoder's errors, for errors.As.
func (e *YAMLError) Unwrap() []error { return e.Errs }

// DecodeYAML decodes YAML (or JSON) into v strictly: field names match
// case-sensitively, and unknown or duplicate fields are errors naming the
// field's path, so a typo never silently falls back to a default. Its
// error is a *YAMLError carrying the fix for its kind.
func DecodeYAML(data []byte, v any, fixes YAMLFixes) error {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return &YAMLError{Problem: YAMLSyntax, Errs: []error{err}, Fix: fixes.Syntax}
	}
	strict, err := kjson.UnmarshalStrict(js, v, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return &YAMLError{Problem: YAMLType, Errs: []error{err}, Fix: fixes.Type}
	}
	if len(strict) > 0 {
		return &YAMLError{Problem: YAMLFields, Errs: strict, Fix: fixes.Fields}
	}
	return nil
}
