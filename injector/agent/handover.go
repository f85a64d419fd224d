package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/keyvault"
)

// handoverFile is what an init agent leaves in its state directory (on the
// pod's shared memory volume) for the classic sidecar that follows it, so
// the sidecar starts from what init fetched and polls for changes instead of
// fetching everything again. It holds secret values, like the output file
// beside it: mode 0400, and the sidecar deletes it once read.
const handoverFile = "handover.json"

// handoverMaxAge bounds how old a handover may be: older values are fetched
// again rather than trusted.
const handoverMaxAge = 10 * time.Minute

type handover struct {
	Written    time.Time           `json:"written"`
	ConfigHash string              `json:"configHash"`
	Fig        *figHandover        `json:"fig,omitempty"`
	Vaults     []keyvault.Handover `json:"vaults,omitempty"`
}

type figHandover struct {
	LastLoad time.Time      `json:"lastLoad"`
	Entries  []handoverItem `json:"entries"`
	// Offline: the entries came from the relay's offline copy (Fig was
	// unreachable); the sidecar replaces them at its first working status.
	Offline bool `json:"offline,omitempty"`
}

type handoverItem struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Secret bool   `json:"secret,omitempty"`
}

// SaveHandover writes the agent's last good values to dir for a sidecar to
// Restore (init mode of a classic injection).
func (a *Agent) SaveHandover(dir string) error {
	hash, err := configHash(a.cfg)
	if err != nil {
		return err
	}
	h := handover{Written: a.opts.Clock.Now().UTC(), ConfigHash: hash}
	if a.fig != nil && a.state.figLoaded {
		fh := &figHandover{LastLoad: a.fig.lastLoad, Offline: a.fig.copies != nil && a.fig.copies.inUse}
		for _, e := range a.state.fig {
			fh.Entries = append(fh.Entries, handoverItem{Key: e.Key, Value: e.Value.Reveal(), Secret: e.Secret})
		}
		h.Fig = fh
	}
	for _, v := range a.vaults.all() {
		if v.snap != nil {
			h.Vaults = append(h.Vaults, v.snap.Handover())
		}
	}
	data, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode handover: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	if _, err := a.opts.Write(filepath.Join(dir, handoverFile), data, 0o400); err != nil {
		return fmt.Errorf("write handover: %w", err)
	}
	return nil
}

// restoreHandover starts the agent from what an init agent left in dir, when
// it is recent and was made for the same configuration. It reports whether
// it did; any problem only means the sidecar fetches as usual.
func (a *Agent) restoreHandover(dir string) bool {
	path := filepath.Join(dir, handoverFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	defer func() { _ = os.Remove(path) }() // one-shot: it holds secrets
	var h handover
	hash, herr := configHash(a.cfg)
	switch {
	case err != nil:
	case json.Unmarshal(data, &h) != nil, herr != nil:
		err = errors.New("unreadable")
	case h.ConfigHash != hash:
		err = errors.New("made for another configuration")
	case a.opts.Clock.Now().Sub(h.Written) > handoverMaxAge:
		err = fmt.Errorf("older than %s", handoverMaxAge)
	}
	if err == nil {
		err = a.applyHandover(h)
	}
	if err != nil {
		a.log.Info("not using the init container's handover; fetching everything", "reason", err.Error())
		a.forgetAll()
		return false
	}
	a.log.Info("started from the init container's handover", "vaults", len(h.Vaults))
	return true
}

func (a *Agent) applyHandover(h handover) error {
	if a.fig != nil && h.Fig != nil {
		entries := make([]source.Entry, len(h.Fig.Entries))
		for i, e := range h.Fig.Entries {
			entries[i] = source.Entry{Key: e.Key, Value: secret.New(e.Value), Secret: e.Secret, Origin: source.OriginFig}
		}
		if h.Fig.Offline {
			if a.fig.copies == nil {
				return errors.New("its Fig values came from an offline copy this configuration does not use")
			}
			a.fig.copies.inUse = true // the first working status fetches
			a.opts.Metrics.SetFigOffline(true)
		}
		if err := a.takeFig(entries); err != nil {
			return err
		}
		a.fig.lastLoad = h.Fig.LastLoad
	}
	for _, vh := range h.Vaults {
		v := a.vaults.get(vh.Vault)
		if v == nil {
			continue
		}
		snap, err := v.kv.Restore(vh)
		if err != nil {
			return fmt.Errorf("vault %s: %w", vh.Vault, err)
		}
		v.snap = &snap
	}
	return nil
}

func configHash(cfg *config.Config) (string, error) {
	data, err := config.Marshal(cfg)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
