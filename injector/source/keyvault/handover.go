package keyvault

import (
	"fmt"
	"time"

	"github.com/fig-injector/fig-injector/injector/secret"
)

// Handover is a Snapshot in a form that can be written to disk and read back
// by another process: how an init container hands what it fetched to the
// classic sidecar that follows it, so the sidecar polls for changes instead
// of fetching everything again. It holds secret values in clear: write it
// only where the output file itself lives (a memory volume, mode 0400).
type Handover struct {
	Vault    string         `json:"vault"`
	Request  Request        `json:"request"`
	ListCost int            `json:"listCost"`
	At       time.Time      `json:"at"`
	Items    []HandoverItem `json:"items"`
}

// HandoverItem is one tracked secret of a Handover.
type HandoverItem struct {
	Key       string    `json:"key"`        // lower-case name
	KeyVer    string    `json:"keyVersion"` // pinned version, "" for latest
	Name      string    `json:"name"`
	Found     bool      `json:"found"`
	Fetched   bool      `json:"fetched"`
	Version   string    `json:"version"`
	Value     string    `json:"value"`
	Enabled   bool      `json:"enabled"`
	NotBefore time.Time `json:"notBefore"`
	Expires   time.Time `json:"expires"`
	Updated   time.Time `json:"updated"`
	FetchedAt time.Time `json:"fetchedAt"`
}

// Handover returns the snapshot in its transferable form.
func (s Snapshot) Handover() Handover {
	h := Handover{Vault: s.vault, Request: s.req.clone(), ListCost: s.listCost, At: s.at}
	for k, it := range s.items {
		h.Items = append(h.Items, HandoverItem{
			Key: k.name, KeyVer: k.version, Name: it.name, Found: it.found, Fetched: it.fetched,
			Version: it.version, Value: it.value.Reveal(), Enabled: it.attrs.enabled,
			NotBefore: it.attrs.notBefore, Expires: it.attrs.expires, Updated: it.attrs.updated, FetchedAt: it.fetchedAt,
		})
	}
	return h
}

// Restore rebuilds a Snapshot of this vault from a Handover, re-checking every
// secret's nbf and exp against the clock. Poll continues from it as from the
// Fetch that produced it.
func (v *Vault) Restore(h Handover) (Snapshot, error) {
	if h.Vault != v.url {
		return Snapshot{}, fmt.Errorf("handover is from vault %s, not %s", h.Vault, v.url)
	}
	if err := h.Request.validate(v.url); err != nil {
		return Snapshot{}, err
	}
	items := make(map[id]item, len(h.Items))
	for _, hi := range h.Items {
		items[id{name: hi.Key, version: hi.KeyVer}] = item{
			name: hi.Name, found: hi.Found, fetched: hi.Fetched, version: hi.Version, value: secret.New(hi.Value),
			attrs:     attrs{enabled: hi.Enabled, notBefore: hi.NotBefore, expires: hi.Expires, updated: hi.Updated},
			fetchedAt: hi.FetchedAt,
		}
	}
	return v.newSnapshot(h.Request.clone(), items, h.ListCost, v.now(), 0)
}
