package inject

import (
	"fmt"
	"strings"
)

// AnnotationError is a problem with what the pod asked for. The webhook turns
// it into an admission denial, so the message is written for the person who
// wrote the pod: which annotation, what is wrong, and how to fix it. It never
// contains a secret (annotations hold references, not values).
type AnnotationError struct {
	// Annotation is the annotation (or label) at fault, e.g.
	// "fig-injector.io/mode".
	Annotation string
	// Problem says what is wrong with its value.
	Problem string
	// Fix says what to write instead.
	Fix string
}

func (e *AnnotationError) Error() string {
	return fmt.Sprintf("%s: %s; fix: %s", e.Annotation, e.Problem, e.Fix)
}

func annotationErr(annotation, fix, format string, args ...any) *AnnotationError {
	// Joined errors (the agent's own validation) become one line: a denial
	// message ends up in events and `kubectl describe`, which show one line.
	problem := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", "; ")
	return &AnnotationError{Annotation: annotation, Problem: problem, Fix: fix}
}
