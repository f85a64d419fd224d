package agent_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/status"
)

// TestHealthzShowsFailingWrites: while every write fails with ENOSPC,
// /healthz used to say "ok" (only sources counted). It now says "failing"
// and names the output and the error, and "ok" again once a write
// succeeds.
func TestHealthzShowsFailingWrites(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	full := fillDisk(&opts)
	a, err := agent.New(context.Background(), f.cfg, opts)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = a.Run(ctx) }()
	f.awaitRunning(a)
	srv := httptest.NewServer(status.Handler(a.Health(), nil))
	defer srv.Close()
	healthz := func() (state, lastError string) {
		resp, err := srv.Client().Get(srv.URL + "/healthz")
		must(t, err)
		defer resp.Body.Close()
		var body struct {
			Status  string
			Outputs []status.OutputHealth
		}
		must(t, json.NewDecoder(resp.Body).Decode(&body))
		for _, o := range body.Outputs {
			if o.Path == f.out {
				lastError = o.LastError
			}
		}
		return body.Status, lastError
	}
	if s, e := healthz(); s == "failing" || e != "" {
		t.Fatalf("healthy agent: /healthz %q, output error %q", s, e)
	}
	full.Store(true)
	must(t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Gouda")))
	f.eventually("/healthz failing with the write error", func() bool {
		s, e := healthz()
		return s == "failing" && strings.Contains(e, "no space left on device")
	})
	full.Store(false)
	f.eventually("/healthz recovered", func() bool { s, e := healthz(); return s != "failing" && e == "" })
}
