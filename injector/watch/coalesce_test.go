package watch

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCoalescer(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type add struct {
		path string
		at   int // ms after t0
	}
	tests := []struct {
		name     string
		adds     []add
		takeAt   int
		want     []string
		wantNext int // ms after t0, -1 for nothing pending
	}{
		{
			name:     "burst for one path becomes one",
			adds:     []add{{"a", 0}, {"a", 1}, {"a", 5}, {"a", 9}},
			takeAt:   10,
			want:     []string{"a"},
			wantNext: -1,
		},
		{
			name:     "nothing before the window ends",
			adds:     []add{{"a", 0}},
			takeAt:   9,
			want:     []string{},
			wantNext: 10,
		},
		{
			name:     "window counts from the first event, not the last",
			adds:     []add{{"a", 0}, {"a", 8}},
			takeAt:   10,
			want:     []string{"a"},
			wantNext: -1,
		},
		{
			name:     "paths come out first seen first; later ones wait",
			adds:     []add{{"b", 0}, {"a", 2}, {"c", 7}, {"b", 8}},
			takeAt:   12,
			want:     []string{"b", "a"},
			wantNext: 17,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCoalescer(10 * time.Millisecond)
			for _, a := range tt.adds {
				c.add(a.path, ms(a.at))
			}
			got := c.take(ms(tt.takeAt))
			if got == nil {
				got = []string{}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("take (-want +got):\n%s", diff)
			}
			next, ok := c.next()
			gotNext := -1
			if ok {
				gotNext = int(next.Sub(t0) / time.Millisecond)
			}
			if gotNext != tt.wantNext {
				t.Errorf("next = %d ms, want %d ms", gotNext, tt.wantNext)
			}
		})
	}
}

func TestCoalescerPathDueAgainAfterTake(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newCoalescer(10 * time.Millisecond)
	c.add("a", t0)
	if diff := cmp.Diff([]string{"a"}, c.take(t0.Add(10*time.Millisecond))); diff != "" {
		t.Fatalf("first take (-want +got):\n%s", diff)
	}
	c.add("a", t0.Add(11*time.Millisecond))
	if diff := cmp.Diff([]string{"a"}, c.take(t0.Add(21*time.Millisecond))); diff != "" {
		t.Errorf("second take (-want +got):\n%s", diff)
	}
}
