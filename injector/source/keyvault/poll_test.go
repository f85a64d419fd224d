package keyvault_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	kvemu "github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/keyvault"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// mapAll maps secrets format(0..n-1) to keys "K<i>".
func mapAll(format string, n int) keyvault.Request {
	var req keyvault.Request
	for i := range n {
		req.Secrets = append(req.Secrets, keyvault.Mapping{Name: fmt.Sprintf(format, i), Key: fmt.Sprintf("K%04d", i)})
	}
	return req
}

// counts is what the vault emulator saw, by route.
type counts struct{ List, Get int }

func (e *env) counts() counts {
	return counts{e.kv.Requests(kvemu.RouteList), e.kv.Requests(kvemu.RouteGet)}
}

func (c counts) minus(o counts) counts { return counts{c.List - o.List, c.Get - o.Get} }

// poll polls once and checks the requests it cost, at the emulator and as
// the snapshot reports them.
func poll(t *testing.T, e *env, v *keyvault.Vault, prev keyvault.Snapshot, want counts, wantChanged bool) keyvault.Snapshot {
	t.Helper()
	before := e.counts()
	next, changed, err := v.Poll(testContext(t), prev)
	if err != nil {
		t.Fatal(err)
	}
	got := e.counts().minus(before)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests at the vault (-want +got):\n%s", diff)
	}
	if next.Requests() != want.List+want.Get {
		t.Errorf("snapshot reports %d requests, want %d", next.Requests(), want.List+want.Get)
	}
	if changed != wantChanged {
		t.Errorf("changed = %v, want %v", changed, wantChanged)
	}
	return next
}

func TestPollIdleCost(t *testing.T) {
	tests := []struct {
		name           string
		vaultSize      int
		mapped         int
		wantFetch      counts
		wantIdle       counts
		naiveGetsEvery int
	}{
		// A dedicated vault: the list (4 pages) replaces 100 GETs.
		{"100 mapped in a dedicated vault", 100, 100, counts{4, 100}, counts{4, 0}, 100},
		// One secret in a big vault: one GET beats 40 pages; no list at all.
		{"1 mapped in a vault of 1000", 1000, 1, counts{0, 1}, counts{0, 1}, 1},
		// 3 secrets in a vault of 1000: the measuring list stops after 3 pages.
		{"3 mapped in a vault of 1000", 1000, 3, counts{3, 3}, counts{0, 3}, 3},
		// 30 in a vault of 30: 2 pages.
		{"30 mapped in a dedicated vault", 30, 30, counts{2, 30}, counts{2, 0}, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.seed("s%04d", tt.vaultSize)
			v := e.vault(keyvault.VaultOptions{})
			before := e.counts()
			snap, err := v.Fetch(testContext(t), mapAll("s%04d", tt.mapped))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantFetch, e.counts().minus(before)); diff != "" {
				t.Errorf("Fetch requests (-want +got):\n%s", diff)
			}
			for range 2 {
				snap = poll(t, e, v, snap, tt.wantIdle, false)
			}
			if n := tt.wantIdle.List + tt.wantIdle.Get; n > tt.naiveGetsEvery || n > min((tt.vaultSize+24)/25, tt.mapped) {
				t.Errorf("idle cost %d exceeds min(⌈size/25⌉, mapped)", n)
			}
			if len(snap.Entries()) != tt.mapped {
				t.Errorf("%d entries, want %d", len(snap.Entries()), tt.mapped)
			}
		})
	}
}

func TestPollFetchesOnlyWhatChanged(t *testing.T) {
	t.Run("list mode", func(t *testing.T) {
		e := newEnv(t)
		e.seed("s%04d", 100)
		v := e.vault(keyvault.VaultOptions{})
		snap, err := v.Fetch(testContext(t), mapAll("s%04d", 100))
		if err != nil {
			t.Fatal(err)
		}
		e.set("s0042", "rotated")
		snap = poll(t, e, v, snap, counts{4, 1}, true)
		if got := valueOf(snap, "K0042"); got != "rotated" {
			t.Errorf("K0042 = %q, want rotated", got)
		}
		poll(t, e, v, snap, counts{4, 0}, false)
	})
	t.Run("get mode", func(t *testing.T) {
		e := newEnv(t)
		e.seed("s%04d", 1000)
		v := e.vault(keyvault.VaultOptions{})
		snap, err := v.Fetch(testContext(t), mapAll("s%04d", 3))
		if err != nil {
			t.Fatal(err)
		}
		e.set("s0001", "rotated")
		snap = poll(t, e, v, snap, counts{0, 3}, true)
		if got := valueOf(snap, "K0001"); got != "rotated" {
			t.Errorf("K0001 = %q, want rotated", got)
		}
	})
}

// A new version written in the same second as the one the agent holds has
// the same attributes.updated (one-second resolution), so a list cannot show
// it: a version fetched that close to its update is fetched once more.
func TestPollSeesARotationWithinTheSameSecond(t *testing.T) {
	clock := testutil.NewClock(time.Now().Truncate(time.Second))
	e := newEnvClock(t, clock.Now)
	e.seed("s%04d", 100)
	v := e.vault(keyvault.VaultOptions{Now: clock.Now})
	snap, err := v.Fetch(testContext(t), mapAll("s%04d", 100))
	if err != nil {
		t.Fatal(err)
	}
	e.set("s0007", "rotated in the same second")
	clock.Add(time.Minute) // the next poll interval
	snap, _, err = v.Poll(testContext(t), snap)
	if err != nil {
		t.Fatal(err)
	}
	if got := valueOf(snap, "K0007"); got != "rotated in the same second" {
		t.Errorf("K0007 = %q, want the version written in the same second", got)
	}
	poll(t, e, v, snap, counts{4, 0}, false) // settled: idle again
}

func valueOf(s keyvault.Snapshot, key string) string {
	for _, en := range s.Entries() {
		if en.Key == key {
			return en.Value.Reveal()
		}
	}
	return "<absent>"
}

func TestPollPrefixSecretsComeAndGo(t *testing.T) {
	e := newEnv(t)
	e.seed("app--k%d", 4)
	e.set("unrelated", "x")
	v := e.vault(keyvault.VaultOptions{})
	snap, err := v.Fetch(testContext(t), keyvault.Request{Prefix: "app--", Secrets: []keyvault.Mapping{{Name: "app--k0", Key: "Explicit"}}})
	if err != nil {
		t.Fatal(err)
	}
	e.set("app--new--nested", "n")                 // appears
	if err := e.kv.Delete("app--k1"); err != nil { // disappears
		t.Fatal(err)
	}
	if err := e.kv.SetEnabled("app--k2", "", false); err != nil { // disappears
		t.Fatal(err)
	}
	if err := e.kv.SetExpiry("app--k3", "", time.Now().Add(-time.Minute)); err != nil { // disappears
		t.Fatal(err)
	}
	e.set("unrelated", "y") // not ours: no GET
	snap = poll(t, e, v, snap, counts{1, 1}, true)
	want := []entry{
		{"k0", "value-0", source.OriginPrefix},
		{"new:nested", "n", source.OriginPrefix},
		{"Explicit", "value-0", source.OriginExplicit},
	}
	if diff := cmp.Diff(want, entries(snap)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	// Re-enabled: back, with one GET.
	if err := e.kv.SetEnabled("app--k2", "", true); err != nil {
		t.Fatal(err)
	}
	snap = poll(t, e, v, snap, counts{1, 1}, true)
	if got := valueOf(snap, "k2"); got != "value-2" {
		t.Errorf("k2 = %q after re-enabling", got)
	}
}

func TestPollPinnedNeverRepolled(t *testing.T) {
	e := newEnv(t)
	v1 := e.set("db-password", "first")
	clock := testutil.NewClock(time.Now())
	exp := clock.Now().Add(time.Hour)
	v2 := e.set("cert", "pem", kvemu.WithExpires(exp))
	v := e.vault(keyvault.VaultOptions{Now: clock.Now})
	snap, err := v.Fetch(testContext(t), keyvault.Request{Secrets: []keyvault.Mapping{
		{Name: "db-password", Key: "Db", Version: v1},
		{Name: "cert", Key: "Cert", Version: v2, Optional: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	e.set("db-password", "second")
	e.set("cert", "new pem")
	snap = poll(t, e, v, snap, counts{0, 0}, false)
	if got := valueOf(snap, "Db"); got != "first" {
		t.Errorf("Db = %q, want the pinned first", got)
	}
	// Time passes the pinned version's exp: it goes missing without a request.
	clock.Add(time.Hour + time.Second)
	snap = poll(t, e, v, snap, counts{0, 0}, true)
	if got := valueOf(snap, "Cert"); got != "<absent>" {
		t.Errorf("expired pinned Cert still delivered")
	}
}

func TestPollListForbiddenFallsBackToGets(t *testing.T) {
	e := newEnv(t)
	e.seed("s%04d", 10)
	e.kv.DenyList(true)
	v := e.vault(keyvault.VaultOptions{})
	snap, err := v.Fetch(testContext(t), mapAll("s%04d", 10))
	if err != nil {
		t.Fatal(err)
	}
	if !v.ListForbidden() {
		t.Fatal("ListForbidden = false after a 403 list")
	}
	for range 3 {
		snap = poll(t, e, v, snap, counts{0, 10}, false)
	}
	if n := strings.Count(e.logs.String(), "listing secrets is forbidden"); n != 1 {
		t.Errorf("the fallback was logged %d times, want once", n)
	}
	// A prefix cannot work without listing.
	_, err = v.Fetch(testContext(t), keyvault.Request{Prefix: "s"})
	var se *source.Error
	if !errors.As(err, &se) || se.StatusCode != 403 || se.Temporary || !strings.Contains(se.Fix, "a prefix needs list permission") {
		t.Errorf("prefix with a forbidden list: error = %v", err)
	}
}

func TestPollListForbiddenLater(t *testing.T) {
	e := newEnv(t)
	e.seed("s%04d", 10)
	v := e.vault(keyvault.VaultOptions{})
	snap, err := v.Fetch(testContext(t), mapAll("s%04d", 10))
	if err != nil {
		t.Fatal(err)
	}
	e.kv.DenyList(true)
	snap = poll(t, e, v, snap, counts{1, 10}, false) // the refused list, then GETs
	poll(t, e, v, snap, counts{0, 10}, false)
}

func TestPollRequiredSecretGoesMissing(t *testing.T) {
	e := newEnv(t)
	e.seed("s%04d", 2)
	v := e.vault(keyvault.VaultOptions{})
	snap, err := v.Fetch(testContext(t), mapAll("s%04d", 2))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.kv.Delete("s0001"); err != nil {
		t.Fatal(err)
	}
	next, changed, err := v.Poll(testContext(t), snap)
	var se *source.Error
	if !errors.As(err, &se) || se.Temporary || !strings.Contains(se.Error(), "s0001 (not found)") {
		t.Fatalf("error = %v, want a permanent error naming s0001", err)
	}
	if changed || valueOf(next, "K0001") != "value-1" {
		t.Error("a failed Poll must return the previous snapshot")
	}
}

func TestPollThrottled(t *testing.T) {
	e := newEnv(t)
	e.seed("s%04d", 1)
	v := e.vault(keyvault.VaultOptions{})
	snap, err := v.Fetch(testContext(t), mapAll("s%04d", 1))
	if err != nil {
		t.Fatal(err)
	}
	e.kv.Inject(kvemu.RouteGet, kvemu.Fault{Status: 429, RetryAfter: 120 * time.Second})
	before := e.counts()
	start := time.Now()
	_, _, err = v.Poll(testContext(t), snap)
	var se *source.Error
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want *source.Error", err)
	}
	got := []any{se.StatusCode, se.Temporary, se.RetryAfter, source.RetryAfter(err), e.counts().minus(before)}
	want := []any{429, true, 120 * time.Second, 120 * time.Second, counts{0, 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status, temporary, retry-after, requests (-want +got):\n%s", diff)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Poll took %v: the SDK retried in hiding", elapsed)
	}
	if !strings.Contains(se.Error(), "Throttled") || se.Fix == "" {
		t.Errorf("error %q lacks the code or a fix", se.Error())
	}
}

func TestPollRejectsForeignSnapshot(t *testing.T) {
	e := newEnv(t)
	v := e.vault(keyvault.VaultOptions{})
	if _, _, err := v.Poll(context.Background(), keyvault.Snapshot{}); err == nil {
		t.Error("Poll of a zero snapshot succeeded")
	}
}
