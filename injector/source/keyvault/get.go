package keyvault

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/fig-injector/fig-injector/injector/secret"
)

// acquire takes one of the vault's request slots, waiting until one is free
// or ctx ends. Every SDK call holds a slot, so the vault never has more than
// Concurrency requests in flight, whatever mix of Fetch and Poll runs.
func (v *Vault) acquire(ctx context.Context) error {
	select {
	case v.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (v *Vault) release() { <-v.sem }

// get fetches one secret (version "" = latest). A secret that does not exist
// or is disabled is not an error: it comes back as an item that is missing,
// so optional secrets can be left out and required ones reported together.
// The caller holds a request slot.
func (v *Vault) get(ctx context.Context, k id, name string) (item, error) {
	resp, err := v.client.GetSecret(ctx, name, k.version, nil)
	if err != nil {
		var re *azcore.ResponseError
		switch {
		case errors.As(err, &re) && re.StatusCode == http.StatusNotFound:
			return item{name: name}, nil
		case errors.As(err, &re) && isDisabled(re):
			return item{name: name, found: true, attrs: attrs{enabled: false}}, nil
		}
		return item{}, v.classify(ctx, "get secret "+describe(name, k.version), err)
	}
	it := item{name: name, found: true, fetched: true, version: k.version, attrs: attrsOf(resp.Attributes), fetchedAt: v.now()}
	if resp.ID != nil {
		if n := resp.ID.Name(); n != "" {
			it.name = n
		}
		if ver := resp.ID.Version(); ver != "" {
			it.version = ver
		}
	}
	if resp.Value != nil {
		it.value = secret.New(*resp.Value)
	}
	return it, nil
}

// getAll fetches the secrets in targets concurrently, at most Concurrency at
// a time, and stores them in items. A slot is taken before each goroutine
// starts, so a thousand secrets never mean a thousand goroutines. The first
// error cancels the GETs not yet answered (no point hammering a throttling
// vault) and is returned.
func (v *Vault) getAll(ctx context.Context, targets []id, names map[id]string, items map[id]item) error {
	if len(targets) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel(err)
		}
	}
	for _, k := range targets {
		if err := v.acquire(ctx); err != nil {
			fail(err)
			break
		}
		wg.Go(func() {
			defer v.release()
			it, err := v.get(ctx, k, names[k])
			if err != nil {
				fail(err)
				return
			}
			mu.Lock()
			items[k] = it
			mu.Unlock()
		})
	}
	wg.Wait()
	return firstErr
}
