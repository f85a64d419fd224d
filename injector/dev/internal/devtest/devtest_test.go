package devtest

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEventsRecordsConcurrentAddsAndCopies(t *testing.T) {
	var l Events[int]
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { l.Add(i) })
	}
	wg.Wait()
	all := l.All()
	if len(all) != 50 {
		t.Fatalf("recorded %d events, want 50", len(all))
	}
	all[0] = -1
	l.Add(50)
	if got := l.All(); got[0] == -1 || len(got) != 51 || got[50] != 50 {
		t.Errorf("All() is not an independent, ordered copy: %v", got)
	}
	if diff := cmp.Diff([]int(nil), (&Events[int]{}).All()); diff != "" {
		t.Errorf("empty recorder (-want +got):\n%s", diff)
	}
}
