package keyvault

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// callCounterKey carries the *atomic.Int64 that counts one Fetch's or Poll's
// requests through the SDK to countPolicy.
type callCounterKey struct{}

// withCallCounter returns ctx carrying a fresh per-call counter.
func withCallCounter(ctx context.Context) (context.Context, *atomic.Int64) {
	c := new(atomic.Int64)
	return context.WithValue(ctx, callCounterKey{}, c), c
}

// countPolicy counts every HTTP request the SDK sends. It sits after the
// retry and challenge policies, so retries and challenge round trips count:
// the numbers are what the vault sees, which is what the request budget of
// SPEC §5 is about.
type countPolicy struct{ total *atomic.Int64 }

// Do implements policy.Policy.
func (p countPolicy) Do(req *policy.Request) (*http.Response, error) {
	p.total.Add(1)
	if c, ok := req.Raw().Context().Value(callCounterKey{}).(*atomic.Int64); ok {
		c.Add(1)
	}
	return req.Next()
}

// Static check: countPolicy is an azcore policy.
var _ policy.Policy = countPolicy{}
