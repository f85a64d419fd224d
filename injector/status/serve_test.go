package status

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

const deadline = 10 * time.Second

func TestServeShutsDownGracefully(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, mux, nil) }()

	type result struct {
		body string
		err  error
	}
	inFlight := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			inFlight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		inFlight <- result{string(b), err}
	}()
	await(t, started, "the request to start")

	cancel()
	close(release)
	select {
	case r := <-inFlight:
		if r.err != nil || r.body != "done" {
			t.Errorf("in-flight request = %q, %v; want it to finish", r.body, r.err)
		}
	case <-time.After(deadline):
		t.Fatal("in-flight request did not finish")
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("serve = %v, want nil after ctx ended", err)
		}
	case <-time.After(deadline):
		t.Fatal("serve did not return after ctx ended")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("still accepting connections after shutdown")
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, "127.0.0.1:0", http.NotFoundHandler(), nil) }()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(deadline):
		t.Fatal("Serve did not return after ctx ended")
	}
}

func TestServeListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// The address is taken, so Serve must fail at once.
	if err := Serve(t.Context(), ln.Addr().String(), http.NotFoundHandler(), nil); err == nil {
		t.Error("Serve on a taken address = nil, want an error")
	}
}

func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(deadline):
		t.Fatalf("timed out waiting for %s", what)
	}
}
