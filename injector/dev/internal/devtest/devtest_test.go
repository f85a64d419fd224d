package devtest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClockMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	c := NewClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Errorf("Now() = %s, want %s", got, start)
	}
	c.Add(90 * time.Second)
	if got, want := c.Now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("after Add(90s): Now() = %s, want %s", got, want)
	}
}

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
