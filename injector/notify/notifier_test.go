package notify

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is a Notifier that records its calls and fails with err.
type recorder struct {
	name  string
	calls *[]string
	err   error
}

func (r recorder) Notify(context.Context) error {
	*r.calls = append(*r.calls, r.name)
	return r.err
}

func TestMulti(t *testing.T) {
	errA, errC := errors.New("a failed"), errors.New("c failed")
	var calls []string
	m := Multi{
		recorder{name: "a", calls: &calls, err: errA},
		recorder{name: "b", calls: &calls},
		recorder{name: "c", calls: &calls, err: errC},
	}
	err := m.Notify(t.Context())
	if !errors.Is(err, errA) || !errors.Is(err, errC) {
		t.Errorf("Notify = %v, want both failures joined", err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if err := (Multi{}).Notify(t.Context()); err != nil {
		t.Errorf("empty Multi = %v, want nil", err)
	}
}

func TestMultiWithRealNotifiers(t *testing.T) {
	srv, posts := reloadServer(t, 200)
	name, lines, stdin, wait := startChild(t)
	expectLine(t, lines, "ready")

	m := Multi{Signal{Process: name, Signal: 1}, HTTP{URL: srv.URL}}
	if err := m.Notify(t.Context()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	expectLine(t, lines, "hup")
	if got := posts.Load(); got != 1 {
		t.Errorf("server got %d POSTs, want 1", got)
	}
	_ = stdin.Close()
	expectLine(t, lines, "bye 1")
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}
