package fault

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// TestSourceOutagesKeepTheLastGoodFile breaks one source at a time while a
// sidecar runs and a change waits in that source: the file must stay byte
// for byte while the agent keeps trying, and carry the change once the
// source is back.
func TestSourceOutagesKeepTheLastGoodFile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		breakIt  func(f *fixture)
		attempts func(f *fixture) int // requests that show the agent kept trying
		change   func(f *fixture)
		key, val string
	}{
		{
			name: "fig down (503)",
			breakIt: func(f *fixture) {
				f.env.Fig.Inject(figapi.RouteStatus, figapi.Fault{Status: http.StatusServiceUnavailable})
				f.env.Fig.Inject(figapi.RouteSettings, figapi.Fault{Status: http.StatusServiceUnavailable})
			},
			attempts: func(f *fixture) int { return f.env.Fig.Requests(figapi.RouteStatus) },
			change: func(f *fixture) {
				must(f.t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Delft")))
			},
			key: "Location", val: "Delft",
		},
		{
			name: "fig settings 500",
			breakIt: func(f *fixture) {
				f.env.Fig.Inject(figapi.RouteSettings, figapi.Fault{Status: http.StatusInternalServerError})
			},
			attempts: func(f *fixture) int { return f.env.Fig.Requests(figapi.RouteSettings) },
			change: func(f *fixture) {
				must(f.t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Breda")))
			},
			key: "Location", val: "Breda",
		},
		{
			name: "key vault 500",
			breakIt: func(f *fixture) {
				for _, r := range []string{keyvault.RouteList, keyvault.RouteGet} {
					f.env.Vaults["orders-kv"].Inject(r, keyvault.Fault{Status: http.StatusInternalServerError})
				}
			},
			attempts: func(f *fixture) int { return f.env.Vaults["orders-kv"].Requests(keyvault.RouteList) },
			change: func(f *fixture) {
				_, err := f.env.Vaults["orders-kv"].SetSecret("api-key", "rotated-during-outage")
				must(f.t, err)
			},
			key: "PaymentApiKey", val: "rotated-during-outage",
		},
		{
			name: "key vault 503",
			breakIt: func(f *fixture) {
				for _, r := range []string{keyvault.RouteList, keyvault.RouteGet} {
					f.env.Vaults["orders-kv"].Inject(r, keyvault.Fault{Status: http.StatusServiceUnavailable})
				}
			},
			attempts: func(f *fixture) int { return f.env.Vaults["orders-kv"].Requests(keyvault.RouteList) },
			change: func(f *fixture) {
				_, err := f.env.Vaults["orders-kv"].SetSecret("OrderService--Feature--Flag", "on")
				must(f.t, err)
			},
			key: "Feature:Flag", val: "on",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, envOptions{})
			a := f.start(f.options())
			before := f.read()
			c.breakIt(f)
			c.change(f)
			n := c.attempts(f)
			f.eventually("three failed attempts", 15*time.Second, func() bool { return c.attempts(f) >= n+3 })
			if got := f.read(); string(got) != string(before) {
				t.Fatalf("the file changed while the source was failing:\n%s", got)
			}
			if !a.Health().Ready() {
				t.Error("not ready while serving the last good file")
			}
			f.env.Fig.ClearFaults()
			f.env.Vaults["orders-kv"].ClearFaults()
			f.eventually("the change after recovery", 15*time.Second, func() bool { return f.key(c.key) == c.val })
		})
	}
}

// TestSlowSourcesDelayButDoNotBreak holds every response of one source back
// for 2 s: start-up still completes within initTimeout, and a change made
// meanwhile still reaches the file.
func TestSlowSourcesDelayButDoNotBreak(t *testing.T) {
	t.Parallel()
	const delay = 2 * time.Second
	cases := []struct {
		name   string
		slow   func(f *fixture)
		change func(f *fixture)
		key    string
		val    string
	}{
		{"fig", func(f *fixture) {
			for _, r := range []string{figapi.RouteStatus, figapi.RouteSettings} {
				f.env.Fig.Inject(r, figapi.Fault{Delay: delay, Times: 2})
			}
		}, func(f *fixture) {
			must(f.t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Zwolle")))
		}, "Location", "Zwolle"},
		{"entra", func(f *fixture) {
			f.env.Entra.Inject(entra.RouteToken, entra.Fault{Delay: delay, Times: 2})
		}, func(f *fixture) {
			_, err := f.env.Vaults["orders-kv"].SetSecret("api-key", "after-slow-entra")
			must(f.t, err)
		}, "PaymentApiKey", "after-slow-entra"},
		{"key vault", func(f *fixture) {
			for _, r := range []string{keyvault.RouteList, keyvault.RouteGet} {
				f.env.Vaults["orders-kv"].Inject(r, keyvault.Fault{Delay: delay, Times: 2})
			}
		}, func(f *fixture) {
			_, err := f.env.Vaults["orders-kv"].SetSecret("api-key", "after-slow-kv")
			must(f.t, err)
		}, "PaymentApiKey", "after-slow-kv"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, envOptions{})
			c.slow(f) // before start: the first render itself is slow
			started := time.Now()
			f.start(f.options())
			if took := time.Since(started); took < delay {
				t.Errorf("first render took %s although the source answered after %s", took, delay)
			}
			c.change(f)
			f.eventually("the change through the slow source", 20*time.Second, func() bool { return f.key(c.key) == c.val })
		})
	}
}

// TestEntraOutageAtStartIsRetried makes Entra ID answer 503 to the first
// token requests: the first render waits and retries, then succeeds; no
// file is written before it can be complete.
func TestEntraOutageAtStartIsRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t, envOptions{})
	f.env.Entra.Inject(entra.RouteToken, entra.Fault{Status: http.StatusServiceUnavailable, Times: 3})
	f.start(f.options())
	if n := f.env.Entra.Requests(entra.RouteToken); n < 4 {
		t.Errorf("Entra saw %d token requests, want the 3 failures and a success", n)
	}
	if got := f.key("PaymentApiKey"); got != "dev-api-key-0001" {
		t.Errorf("PaymentApiKey = %q after recovery", got)
	}
}

// TestRetryAfterIsHonoured throttles one route once with 429 and a
// Retry-After of 1 s: no request may reach that route until the second has
// passed, and the change still arrives.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		throttle func(f *fixture)
		count    func(f *fixture) int
		change   func(f *fixture)
		key, val string
	}{
		{
			name: "key vault list",
			throttle: func(f *fixture) {
				f.env.Vaults["orders-kv"].Inject(keyvault.RouteList, keyvault.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1})
			},
			count: func(f *fixture) int {
				return f.env.Vaults["orders-kv"].Requests(keyvault.RouteList) + f.env.Vaults["orders-kv"].Requests(keyvault.RouteGet)
			},
			change: func(f *fixture) {
				_, err := f.env.Vaults["orders-kv"].SetSecret("api-key", "after-429")
				must(f.t, err)
			},
			key: "PaymentApiKey", val: "after-429",
		},
		{
			name: "fig settings",
			throttle: func(f *fixture) {
				f.env.Fig.Inject(figapi.RouteSettings, figapi.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1", Times: 1})
			},
			count: func(f *fixture) int { return f.env.Fig.Requests(figapi.RouteSettings) },
			change: func(f *fixture) {
				must(f.t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Leiden")))
			},
			key: "Location", val: "Leiden",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, envOptions{})
			f.start(f.options())
			log := watchRequests(t, func() int { return c.count(f) })
			c.throttle(f)
			c.change(f)
			f.eventually("the change after Retry-After", 15*time.Second, func() bool { return f.key(c.key) == c.val })
			log.close()
			seen := log.seen()
			if len(seen) < 2 {
				t.Fatalf("saw %d requests, want the throttled one and the retry", len(seen))
			}
			// The throttled request is the first one after the fault was
			// queued (the fault has Times: 1).
			if gap := seen[1].Sub(seen[0]); gap < time.Second-20*time.Millisecond {
				t.Errorf("next request %s after the 429, before Retry-After: 1 elapsed", gap)
			}
		})
	}
}

// TestLongRetryAfterIsHonoured throttles with Retry-After: 120 (above the
// SDK's 60 s cap, so the agent itself must wait): after the 429 nothing
// reaches the source during a 4 s observation window, and the agent logs a
// wait of at least 120 s.
func TestLongRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	const window = 4 * time.Second
	cases := []struct {
		name     string
		throttle func(f *fixture)
		count    func(f *fixture) int
		change   func(f *fixture)
		logMsg   string
	}{
		{
			name: "key vault",
			throttle: func(f *fixture) {
				for _, r := range []string{keyvault.RouteList, keyvault.RouteGet} {
					f.env.Vaults["orders-kv"].Inject(r, keyvault.Fault{Status: http.StatusTooManyRequests, RetryAfter: 120 * time.Second})
				}
			},
			count: func(f *fixture) int {
				return f.env.Vaults["orders-kv"].Requests(keyvault.RouteList) + f.env.Vaults["orders-kv"].Requests(keyvault.RouteGet)
			},
			change: func(f *fixture) {},
			logMsg: "Key Vault poll failed",
		},
		{
			name: "fig settings",
			throttle: func(f *fixture) {
				f.env.Fig.Inject(figapi.RouteSettings, figapi.Fault{Status: http.StatusTooManyRequests, RetryAfter: "120"})
			},
			count: func(f *fixture) int { return f.env.Fig.Requests(figapi.RouteSettings) },
			change: func(f *fixture) {
				must(f.t, f.env.Fig.SetValue("OrderService", "", "Location", figapi.String("Hoorn")))
			},
			logMsg: "Fig settings fetch failed",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, envOptions{})
			f.start(f.options())
			before := c.count(f)
			c.throttle(f)
			c.change(f)
			f.eventually("the throttled request", 10*time.Second, func() bool { return c.count(f) > before })
			throttledAt := c.count(f)
			testutil.Never(t, "another request after a 429 with Retry-After: 120", window, func() bool { return c.count(f) > throttledAt })
			if wait := loggedRetry(t, f.logs.String(), c.logMsg); wait < 120*time.Second {
				t.Errorf("logged retry_in %s after Retry-After: 120, want ≥ 2m0s", wait)
			}
		})
	}
}

// TestLongRetryAfterFromEntraAtStart throttles the token endpoint with
// Retry-After: 120 before the first render: during the observation window no
// further token request is made.
func TestLongRetryAfterFromEntraAtStart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, envOptions{})
	f.env.Entra.Inject(entra.RouteToken, entra.Fault{Status: http.StatusTooManyRequests, RetryAfter: 120 * time.Second})
	a, err := agent.New(context.Background(), f.cfg, f.options())
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.RenderOnce(ctx) }()
	defer func() { cancel(); <-done }()
	f.eventually("the throttled token request", 10*time.Second, func() bool { return f.env.Entra.Requests(entra.RouteToken) > 0 })
	first := f.env.Entra.Requests(entra.RouteToken)
	testutil.Never(t, "another token request after a 429 with Retry-After: 120", 3*time.Second,
		func() bool { return f.env.Entra.Requests(entra.RouteToken) > first })
}

// loggedRetry returns the largest retry_in of the JSON log lines whose
// message starts with msg.
func loggedRetry(t *testing.T, logs, msg string) time.Duration {
	t.Helper()
	var longest time.Duration
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Msg     string `json:"msg"`
			RetryIn string `json:"retry_in"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || !strings.HasPrefix(line.Msg, msg) || line.RetryIn == "" {
			continue
		}
		d, err := time.ParseDuration(line.RetryIn)
		if err != nil {
			t.Fatalf("retry_in %q: %v", line.RetryIn, err)
		}
		longest = max(longest, d)
	}
	if longest == 0 {
		t.Errorf("no log line %q with retry_in", msg)
	}
	return longest
}
