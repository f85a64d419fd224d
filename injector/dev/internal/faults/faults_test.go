package faults

import (
	"context"
	"net/http"
	"net/http/httptest"
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

func TestAnswer(t *testing.T) {
	tests := []struct {
		name       string
		f          Response
		answered   bool
		status     int
		retryAfter string
		body       string
	}{
		{"no status: the normal response follows", Response{}, false, http.StatusOK, "", ""},
		{"the emulator's own error", Response{Status: http.StatusServiceUnavailable}, true, http.StatusServiceUnavailable, "", "own error"},
		{"retry-after and the emulator's error", Response{Status: http.StatusTooManyRequests, RetryAfter: "120"}, true, http.StatusTooManyRequests, "120", "own error"},
		{"a body replaces the error", Response{Status: http.StatusBadRequest, Body: `{"x":1}`}, true, http.StatusBadRequest, "", `{"x":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			answered := tt.f.Answer(rec, httptest.NewRequest(http.MethodGet, "/", nil), func() {
				rec.WriteHeader(tt.f.Status)
				_, _ = rec.WriteString("own error")
			})
			if answered != tt.answered {
				t.Errorf("answered = %v, want %v", answered, tt.answered)
			}
			got := rec.Result()
			if got.StatusCode != tt.status || got.Header.Get("Retry-After") != tt.retryAfter || rec.Body.String() != tt.body {
				t.Errorf("response %d, Retry-After %q, body %q; want %d, %q, %q",
					got.StatusCode, got.Header.Get("Retry-After"), rec.Body.String(), tt.status, tt.retryAfter, tt.body)
			}
		})
	}
}

func TestAnswerGivesUpWithTheClient(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	if !(Response{Delay: time.Hour}).Answer(rec, r, func() { t.Error("an error was written to a client that gave up") }) {
		t.Error("a request whose client gave up was not reported answered")
	}
}

func TestSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "", -time.Second: "", time.Millisecond: "1", time.Second: "1", 1500 * time.Millisecond: "2", 120 * time.Second: "120"} {
		if got := Seconds(d); got != want {
			t.Errorf("Seconds(%s) = %q, want %q", d, got, want)
		}
	}
}
