package notify

import (
	"context"
	"errors"
)

// Notifier tells the application that its files changed.
//
// Notify blocks until the application was told or telling it failed; an
// implementation that retries does so inside Notify and stops when ctx ends.
// An error names the target (process or URL) and never a file's content.
// Implementations in this package are safe for concurrent use.
type Notifier interface {
	Notify(ctx context.Context) error
}

// Multi notifies each Notifier in order. A failure does not stop the rest:
// an app that listens for both should still get the one that works.
type Multi []Notifier

// Notify calls every Notifier and joins their errors.
func (m Multi) Notify(ctx context.Context) error {
	var errs []error
	for _, n := range m {
		if err := n.Notify(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
