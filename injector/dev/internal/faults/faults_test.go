package faults

import (
	"context"
	"testing"
	"time"
)

func TestQueueAppliesFaultsInOrderAndCount(t *testing.T) {
	var q Queue[string]
	if _, ok := q.Take("get"); ok {
		t.Error("the zero Queue has a fault")
	}
	q.Inject("get", "first", 2)
	q.Inject("get", "forever", 0)
	var got []string
	for range 4 {
		f, ok := q.Take("get")
		if !ok {
			t.Fatal("no fault left")
		}
		got = append(got, f)
	}
	if want := []string{"first", "first", "forever", "forever"}; len(got) != 4 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Errorf("faults applied %v, want %v", got, want)
	}
	if _, ok := q.Take("list"); ok {
		t.Error("a fault applied to a route it was not injected for")
	}
	q.Clear()
	if _, ok := q.Take("get"); ok {
		t.Error("a fault survived Clear")
	}
}

func TestDelayEndsWhenTheClientGivesUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Delay(ctx, time.Hour) {
		t.Error("Delay ran its course although the context had ended")
	}
	if !Delay(context.Background(), 0) {
		t.Error("a zero delay did not pass")
	}
}
