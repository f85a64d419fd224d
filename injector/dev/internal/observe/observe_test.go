package observe

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestStatusWriterRecordsTheStatusSent(t *testing.T) {
	tests := []struct {
		name  string
		write func(w http.ResponseWriter)
		want  int
	}{
		{"nothing written", func(http.ResponseWriter) {}, http.StatusOK},
		{"body only", func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) }, http.StatusOK},
		{"explicit status", func(w http.ResponseWriter) { w.WriteHeader(http.StatusTeapot) }, http.StatusTeapot},
		{"first status wins", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusTooManyRequests)
			w.WriteHeader(http.StatusOK)
		}, http.StatusTooManyRequests},
		{"status after a body is too late", func(w http.ResponseWriter) {
			_, _ = w.Write([]byte("x"))
			w.WriteHeader(http.StatusInternalServerError)
		}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			sw := NewStatusWriter(rec)
			tt.write(sw)
			if got := sw.Status(); got != tt.want {
				t.Errorf("Status() = %d, want %d", got, tt.want)
			}
			if got := rec.Result().StatusCode; got != tt.want {
				t.Errorf("the client got %d, the writer recorded %d", got, tt.want)
			}
		})
	}
}

func TestCounterCountsPerRoute(t *testing.T) {
	var c Counter
	if n := c.Get("get"); n != 0 {
		t.Errorf("the zero Counter has %d requests", n)
	}
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() { c.Add("get") })
	}
	c.Add("list")
	wg.Wait()
	if get, list, other := c.Get("get"), c.Get("list"), c.Get("versions"); get != 100 || list != 1 || other != 0 {
		t.Errorf("counts get=%d list=%d versions=%d, want 100, 1, 0", get, list, other)
	}
}
