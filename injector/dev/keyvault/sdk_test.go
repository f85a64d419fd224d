package keyvault_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSDKGetSecret(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	v1, err := e.kv.SetSecret("db-password", "first", keyvault.WithContentType("text/plain"), keyvault.WithTags(map[string]string{"env": "test"}))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := e.kv.SetSecret("db-password", "second")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.kv.SetSecret("off", "x", keyvault.WithEnabled(false)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.kv.SetSecret("hidden", "x"); err != nil {
		t.Fatal(err)
	}
	e.kv.DenySecret("hidden", true)
	c := e.client(t, subject, fastRetry)
	ctx := testContext(t)

	tests := []struct {
		name, secret, version string
		wantValue, wantVer    string
		wantStatus            int // for errors
		wantCode              string
	}{
		{"latest", "db-password", "", "second", v2, 0, ""},
		{"older version", "db-password", v1, "first", v1, 0, ""},
		{"unknown secret", "nope", "", "", "", 404, "SecretNotFound"},
		{"unknown version", "db-password", "ffffffffffffffffffffffffffffffff", "", "", 404, "SecretNotFound"},
		{"disabled", "off", "", "", "", 403, "Forbidden"},
		{"denied", "hidden", "", "", "", 403, "Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.GetSecret(ctx, tt.secret, tt.version, nil)
			if tt.wantStatus != 0 {
				var re *azcore.ResponseError
				if !errors.As(err, &re) {
					t.Fatalf("error = %v, want *azcore.ResponseError", err)
				}
				if diff := cmp.Diff([]any{tt.wantStatus, tt.wantCode}, []any{re.StatusCode, re.ErrorCode}); diff != "" {
					t.Errorf("status, code (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *resp.Value != tt.wantValue || resp.ID.Name() != tt.secret || resp.ID.Version() != tt.wantVer {
				t.Errorf("got value %q id %s, want %q version %s", *resp.Value, *resp.ID, tt.wantValue, tt.wantVer)
			}
		})
	}
	old, err := c.GetSecret(ctx, "db-password", v1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *old.ContentType != "text/plain" || *old.Tags["env"] != "test" || !*old.Attributes.Enabled ||
		old.Attributes.Created == nil || *old.Attributes.RecoveryLevel != "Recoverable+Purgeable" || *old.Attributes.RecoverableDays != 90 {
		t.Errorf("properties not decoded by the SDK: %+v", *old.Attributes)
	}
}

// TestSDKTokenCaching: one client doing N GETs costs one challenge, one
// OpenID configuration and one token POST (contracts/azure.md §2).
func TestSDKTokenCaching(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	seed(t, e.kv, 1)
	c := e.client(t, subject, fastRetry)
	ctx := testContext(t)
	const n = 10
	for range n {
		if _, err := c.GetSecret(ctx, "secret-000", "", nil); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int{
		"entra openid": e.idp.Requests("openid"), "entra token": e.idp.Requests("token"),
		"vault challenges": e.kv.Challenges(), "vault gets": e.kv.Requests(keyvault.RouteGet),
	}
	want := map[string]int{"entra openid": 1, "entra token": 1, "vault challenges": 1, "vault gets": n}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request counts (-want +got):\n%s", diff)
	}
}

func TestSDKListPager(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	seed(t, e.kv, 60)
	c := e.client(t, subject, fastRetry)
	ctx := testContext(t)

	var names, pageSizes []string
	pager := c.NewListSecretPropertiesPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pageSizes = append(pageSizes, fmt.Sprint(len(page.Value)))
		for _, p := range page.Value {
			if p.ID.Version() != "" {
				t.Errorf("list id %s carries a version", *p.ID)
			}
			names = append(names, p.ID.Name())
		}
	}
	if diff := cmp.Diff([]string{"25", "25", "10"}, pageSizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	want := make([]string, 60)
	for i := range want {
		want[i] = fmt.Sprintf("secret-%03d", i)
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if got := e.kv.Requests(keyvault.RouteList); got != 3 {
		t.Errorf("Requests(list) = %d, want 3", got)
	}
}

func TestSDKVersionsPager(t *testing.T) {
	e := newEnv(t, keyvault.Options{PageSize: 2})
	var made []string
	for i := range 5 {
		v, err := e.kv.SetSecret("rotated", fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, v)
	}
	if err := e.kv.SetEnabled("rotated", made[0], false); err != nil {
		t.Fatal(err)
	}
	c := e.client(t, subject, fastRetry)
	ctx := testContext(t)

	tests := []struct {
		secret    string
		want      []string
		wantPages int
	}{
		{"rotated", made, 3},
		{"never-created", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.secret, func(t *testing.T) {
			before := e.kv.Requests(keyvault.RouteVersions)
			var got []string
			disabled := 0
			pager := c.NewListSecretPropertiesVersionsPager(tt.secret, nil)
			for pager.More() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range page.Value {
					got = append(got, p.ID.Version())
					if !*p.Attributes.Enabled {
						disabled++
					}
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
			if len(tt.want) > 0 && disabled != 1 {
				t.Errorf("disabled versions listed = %d, want 1", disabled)
			}
			if pages := e.kv.Requests(keyvault.RouteVersions) - before; pages != tt.wantPages {
				t.Errorf("versions requests = %d, want %d", pages, tt.wantPages)
			}
		})
	}
}

// TestSDKThrottled: a 429 with Retry-After: 1 is retried by the SDK after
// about a second and then succeeds.
func TestSDKThrottled(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	seed(t, e.kv, 1)
	c := e.client(t, subject, fastRetry)
	ctx := testContext(t)
	if _, err := c.GetSecret(ctx, "secret-000", "", nil); err != nil { // warm up: challenge and token
		t.Fatal(err)
	}
	e.kv.Inject(keyvault.RouteGet, keyvault.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1})
	start := time.Now()
	resp, err := c.GetSecret(ctx, "secret-000", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 900*time.Millisecond {
		t.Errorf("retry came after %v, want Retry-After's 1s", elapsed)
	}
	if *resp.Value != "value-000" {
		t.Errorf("value = %q", *resp.Value)
	}
	if got := e.kv.Requests(keyvault.RouteGet); got != 3 {
		t.Errorf("Requests(get) = %d, want 3 (warm-up, 429, retry)", got)
	}

	// Throttled for good: the SDK gives up after MaxRetries with the 429.
	e.kv.Inject(keyvault.RouteGet, keyvault.Fault{Status: http.StatusTooManyRequests})
	_, err = c.GetSecret(ctx, "secret-000", "", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusTooManyRequests || re.ErrorCode != "Throttled" {
		t.Fatalf("error = %v, want 429 Throttled", err)
	}
}

func TestSDKWrongSubject(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	seed(t, e.kv, 1)
	c := e.client(t, "system:serviceaccount:shop:intruder", fastRetry)
	_, err := c.GetSecret(testContext(t), "secret-000", "", nil)
	var authErr *azidentity.AuthenticationFailedError
	if !errors.As(err, &authErr) {
		t.Fatalf("error = %v, want *azidentity.AuthenticationFailedError", err)
	}
	if !strings.Contains(err.Error(), "AADSTS700213") {
		t.Errorf("error lacks AADSTS700213: %v", err)
	}
	if got := e.kv.Requests(keyvault.RouteGet); got != 0 {
		t.Errorf("Requests(get) = %d, want 0", got)
	}
}

// TestSDKDenyListFallback: when the list is denied, a client can still GET
// the secrets it knows by name.
func TestSDKDenyListFallback(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	seed(t, e.kv, 2)
	e.kv.DenyList(true)
	c := e.client(t, subject, fastRetry)
	ctx := testContext(t)
	_, err := c.NewListSecretPropertiesPager(nil).NextPage(ctx)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden || re.ErrorCode != "Forbidden" {
		t.Fatalf("list error = %v, want 403 Forbidden", err)
	}
	if !strings.Contains(err.Error(), "ForbiddenByRbac") {
		t.Errorf("list error lacks ForbiddenByRbac: %v", err)
	}
	for _, name := range []string{"secret-000", "secret-001"} {
		if _, err := c.GetSecret(ctx, name, "", nil); err != nil {
			t.Errorf("GET %s after denied list: %v", name, err)
		}
	}
}

// TestSDKRevokedToken: a token the issuer no longer knows is refused with
// 401; the SDK surfaces it as a ResponseError.
func TestSDKRevokedToken(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	seed(t, e.kv, 1)
	c := e.client(t, subject, fastRetry)
	ctx := testContext(t)
	if _, err := c.GetSecret(ctx, "secret-000", "", nil); err != nil {
		t.Fatal(err)
	}
	e.idp.RevokeTokens()
	_, err := c.GetSecret(ctx, "secret-000", "", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusUnauthorized || re.ErrorCode != "Unauthorized" {
		t.Fatalf("error = %v, want 401 Unauthorized", err)
	}
}

// TestSDKNothingSecretRecorded: values and tokens never reach the logs or
// the observer (tokens and assertions are base64 JSON: "eyJ…").
func TestSDKNothingSecretRecorded(t *testing.T) {
	e := newEnv(t, keyvault.Options{})
	if _, err := e.kv.SetSecret("db-password", "hunter2-plaintext"); err != nil {
		t.Fatal(err)
	}
	c := e.client(t, subject, fastRetry)
	ctx := testContext(t)
	if _, err := c.GetSecret(ctx, "db-password", "", nil); err != nil {
		t.Fatal(err)
	}
	pager := c.NewListSecretPropertiesVersionsPager("db-password", nil)
	if _, err := pager.NextPage(ctx); err != nil {
		t.Fatal(err)
	}
	events := e.events.All()
	recorded := e.logs.String() + fmt.Sprintf("%+v", events)
	for _, leak := range []string{"hunter2-plaintext", "eyJ"} {
		if strings.Contains(recorded, leak) {
			t.Errorf("%q recorded in logs or events", leak)
		}
	}
	var sawToken bool
	for _, ev := range events {
		if ev.HasToken && ev.Authorized && ev.Route == keyvault.RouteGet && ev.Status == 200 {
			sawToken = true
		}
	}
	if !sawToken {
		t.Errorf("no authorized get event in %+v", events)
	}
}
