// Package kvwatch detects Key Vault changes once for the whole cluster: per
// vault that any subscriber reads, one list pass per interval with the
// relay's own identity, which needs only metadata rights (Azure's "Key Vault
// Reader" role lists secret properties and cannot read values). It tells a
// Sink which secrets have a new current version; it never reads a value.
//
// A vault the relay may not list (403) or cannot reach is reported as
// unwatched with the reason, so its subscribers keep their own polling; it
// is tried again every interval and reported watched once a pass succeeds.
package kvwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/fig-injector/fig-injector/injector/azure"
)

// Sink receives what a pass found; the relay's hub implements it.
type Sink interface {
	SecretsChanged(vault string, names []string) int
	VaultWatched(vault, interval string)
	VaultUnwatched(vault, reason string)
}

// Metrics records list passes per vault (the vault URL is a label; secret
// names never are). outcome is "ok", "forbidden" or "error".
type Metrics interface {
	VaultPass(vault, outcome string, requests int)
}

// Options configure a Watcher.
type Options struct {
	// Credential is the relay's own identity (workload identity in a
	// cluster).
	Credential azcore.TokenCredential
	// HTTPClient carries the SDK's requests (the transport package's client);
	// nil means the SDK default.
	HTTPClient *http.Client
	// Interval between passes; default DefaultInterval.
	Interval time.Duration
	// DisableChallengeResourceVerification is for vaults outside Azure's
	// DNS suffixes (the emulators) only.
	DisableChallengeResourceVerification bool
	Log                                  *slog.Logger
	Metrics                              Metrics // nil: not counted
	// Now is the clock that decides whether a listed version is settled;
	// nil means time.Now.
	Now func() time.Time
	// Catchup, when positive, makes a vault's first listing also report
	// the secrets updated within Catchup before the pass began. A replica
	// that takes over listing for the cluster sets it to cover the gap
	// since the previous lister's last pass (relay/fleet), so a change made
	// in that gap wakes its readers instead of waiting for their safety
	// poll.
	Catchup time.Duration
}

// DefaultInterval matches the agent's default Key Vault poll interval.
const DefaultInterval = 60 * time.Second

// Watcher lists vaults and remembers what it saw. Pass is not safe for
// concurrent calls; Run calls it from one goroutine.
type Watcher struct {
	opts Options
	sink Sink

	mu      sync.Mutex
	clients map[string]*azsecrets.Client
	seen    map[string]map[string]marker // vault → lower-case name → marker
	failing map[string]string            // vault → reason while unwatched
}

// marker is what tells a new current version (or a state change that
// matters to readers) from the list's attributes: Updated moves with every
// new version and every attribute change. The list shows no version IDs and
// Updated has one-second resolution, so a version written in the same
// second as the one listed would be invisible: a secret updated less than
// settleTime before its pass began is unsettled, and the next pass reports
// it again (its subscribers GET it once more; the agent's own list polling
// follows the same rule).
type marker struct {
	name                       string // as the vault spells it
	updated, notBefore, expire time.Time
	enabled                    bool
	unsettled                  bool
}

const settleTime = time.Second

// New returns a Watcher reporting to sink.
func New(opts Options, sink Sink) *Watcher {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{opts: opts, sink: sink, clients: map[string]*azsecrets.Client{},
		seen: map[string]map[string]marker{}, failing: map[string]string{}}
}

// Run passes over vaults() every interval until ctx ends. A receive on
// wake (the set of subscribed vaults changed) lists the vaults not seen
// yet at once, so their subscribers learn without waiting for the next
// pass whether they may pause their own polling; the others keep their
// schedule. The first full pass comes one interval after the start, not at
// once: vaults subscribed before then are listed through wake, and an
// immediate pass racing that wake would list a new vault twice.
func (w *Watcher) Run(ctx context.Context, vaults func() []string, wake <-chan struct{}) {
	t := time.NewTimer(w.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.Pass(ctx, vaults())
			t.Reset(w.opts.Interval)
		case <-wake:
			w.passNew(ctx, vaults())
		}
	}
}

// passNew lists the vaults of vaults that no pass has listed yet.
func (w *Watcher) passNew(ctx context.Context, vaults []string) {
	w.forget(vaults)
	for _, v := range vaults {
		w.mu.Lock()
		_, seen := w.seen[v]
		_, failing := w.failing[v]
		w.mu.Unlock()
		if !seen && !failing && ctx.Err() == nil {
			w.passVault(ctx, v)
		}
	}
}

// Pass lists each vault once and reports changes since the previous pass.
// A vault seen for the first time gives a baseline and is reported
// watched; vaults no longer asked for are forgotten.
func (w *Watcher) Pass(ctx context.Context, vaults []string) {
	w.forget(vaults)
	for _, v := range vaults {
		if ctx.Err() != nil {
			return
		}
		w.passVault(ctx, v)
	}
}

func (w *Watcher) forget(keep []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for v := range w.seen {
		if !slices.Contains(keep, v) {
			delete(w.seen, v)
			delete(w.clients, v)
			delete(w.failing, v)
		}
	}
}

func (w *Watcher) passVault(ctx context.Context, vault string) {
	start := w.opts.Now()
	now, pages, err := w.list(ctx, vault, start)
	if err != nil {
		if ctx.Err() != nil {
			return // stopped (shutdown, or the Lease lost): says nothing about the vault
		}
		w.fail(vault, err, pages)
		return
	}
	w.count(vault, "ok", pages)
	w.mu.Lock()
	before, known := w.seen[vault]
	w.seen[vault] = now
	_, wasFailing := w.failing[vault]
	delete(w.failing, vault)
	w.mu.Unlock()
	if !known || wasFailing {
		if wasFailing {
			w.opts.Log.Info("vault listed again; its subscribers may pause their own polling", "vault", vault)
		}
		w.sink.VaultWatched(vault, w.opts.Interval.String())
	}
	var changed []string
	switch {
	case known:
		changed = diff(before, now)
	case w.opts.Catchup > 0:
		changed = updatedSince(now, start.Add(-w.opts.Catchup))
	}
	if len(changed) > 0 {
		n := w.sink.SecretsChanged(vault, changed)
		w.opts.Log.Debug("secrets changed", "vault", vault, "secrets", len(changed), "subscribers", n)
	}
}

// updatedSince lists, sorted, the secrets updated at or after since.
func updatedSince(now map[string]marker, since time.Time) []string {
	var out []string
	for _, m := range now {
		if !m.updated.Before(since) {
			out = append(out, m.name)
		}
	}
	slices.Sort(out)
	return out
}

// fail reports a vault as unwatched, logging only when the reason changes.
func (w *Watcher) fail(vault string, err error, pages int) {
	reason, outcome := explain(err)
	w.count(vault, outcome, pages+1)
	w.mu.Lock()
	old, was := w.failing[vault]
	w.failing[vault] = reason
	w.mu.Unlock()
	if !was || old != reason {
		w.opts.Log.Warn("vault not watched; its subscribers keep their own polling", "vault", vault, "reason", reason)
	}
	w.sink.VaultUnwatched(vault, reason)
}

func (w *Watcher) count(vault, outcome string, requests int) {
	if w.opts.Metrics != nil {
		w.opts.Metrics.VaultPass(vault, outcome, requests)
	}
}

// explain turns a list error into a reason for subscribers and logs (status
// and error code; Key Vault's messages name no secret value).
func explain(err error) (reason, outcome string) {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		if re.StatusCode == http.StatusForbidden {
			return fmt.Sprintf("403 %s: the relay's identity may not list secrets; fix: grant it the \"Key Vault Reader\" role (or a list-secrets access policy) on the vault", re.ErrorCode), "forbidden"
		}
		return fmt.Sprintf("%d %s from the vault", re.StatusCode, re.ErrorCode), "error"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "list timed out", "error"
	}
	return "vault unreachable or identity unusable: " + firstLine(err.Error()), "error"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// list walks the vault's secret list: ⌈secrets/25⌉ requests.
func (w *Watcher) list(ctx context.Context, vault string, start time.Time) (map[string]marker, int, error) {
	c, err := w.client(vault)
	if err != nil {
		return nil, 0, err
	}
	out := map[string]marker{}
	pages := 0
	pager := c.NewListSecretPropertiesPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, pages, err
		}
		pages++
		for _, p := range page.Value {
			if p == nil || p.ID == nil || p.ID.Name() == "" {
				continue
			}
			m := markerOf(p.ID.Name(), p.Attributes)
			m.unsettled = start.Sub(m.updated) < settleTime
			out[strings.ToLower(p.ID.Name())] = m
		}
	}
	return out, pages, nil
}

func markerOf(name string, a *azsecrets.SecretAttributes) marker {
	m := marker{name: name, enabled: true}
	if a == nil {
		return m
	}
	deref := func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	}
	m.updated, m.notBefore, m.expire = deref(a.Updated), deref(a.NotBefore), deref(a.Expires)
	if a.Enabled != nil {
		m.enabled = *a.Enabled
	}
	return m
}

// diff lists, sorted, the secrets added, removed or changed between passes.
func diff(before, now map[string]marker) []string {
	var out []string
	for k, m := range now {
		if b, ok := before[k]; !ok || b.unsettled || b.changed(m) {
			out = append(out, m.name)
		}
	}
	for k, b := range before {
		if _, ok := now[k]; !ok {
			out = append(out, b.name)
		}
	}
	slices.Sort(out)
	return out
}

// changed compares what readers see, not the settling flag.
func (m marker) changed(o marker) bool {
	m.unsettled, o.unsettled = false, false
	return m != o
}

// client returns the vault's client, made once (one pipeline and token
// cache per vault for the life of the process).
func (w *Watcher) client(vault string) (*azsecrets.Client, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c := w.clients[vault]; c != nil {
		return c, nil
	}
	c, err := azsecrets.NewClient(vault, w.opts.Credential, &azsecrets.ClientOptions{
		ClientOptions:                        azure.ClientOptions(w.opts.HTTPClient),
		DisableChallengeResourceVerification: w.opts.DisableChallengeResourceVerification,
	})
	if err != nil {
		return nil, err
	}
	w.clients[vault] = c
	return c, nil
}
