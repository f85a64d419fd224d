package keyvault_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/internal/devtest"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
)

// TestAddObserver: an observer added to a running vault sees every request
// after it was added, challenges included, each with its arrival time, and
// Options.Observe keeps seeing them too.
func TestAddObserver(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	seed(t, e.kv, 1)
	token := "Bearer " + e.token(t)
	e.do(t, http.MethodGet, "/secrets?api-version="+apiVersion, token) // before: not seen

	var added devtest.Events[keyvault.Event]
	e.kv.AddObserver(added.Add)
	before := time.Now()
	e.do(t, http.MethodGet, "/secrets/secret-000?api-version="+apiVersion, "")
	e.do(t, http.MethodGet, "/secrets/secret-000?api-version="+apiVersion, token)
	e.do(t, http.MethodGet, "/secrets?api-version="+apiVersion, token)
	after := time.Now()

	type seen struct {
		Route  string
		Status int
	}
	want := []seen{{keyvault.RouteGet, http.StatusUnauthorized}, {keyvault.RouteGet, http.StatusOK}, {keyvault.RouteList, http.StatusOK}}
	var got []seen
	for i, ev := range added.All() {
		got = append(got, seen{ev.Route, ev.Status})
		if ev.Arrived.Before(before) || ev.Arrived.After(after) {
			t.Errorf("event %d arrived at %s, want within [%s, %s]", i, ev.Arrived, before, after)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("added observer's events (-want +got):\n%s", diff)
	}
	all := e.events.All()
	if len(all) != 4 {
		t.Errorf("Options.Observe saw %d events, want 4 (the one before AddObserver too)", len(all))
	}
	if n := len(all); n > 0 && all[n-1].Arrived.IsZero() {
		t.Error("Options.Observe's event has no arrival time")
	}
}
