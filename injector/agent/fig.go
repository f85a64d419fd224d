package agent

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/fig"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
)

// figSource is the agent's side of the Fig conversation, in Fig.Client's
// order: a status PUT before the first fetch, the fetch (registering and
// retrying once on 404, when the agent has a settings declaration), then a
// status PUT every poll interval whose reply says whether to fetch again.
type figSource struct {
	client          *fig.Client
	declaration     *contract.Definition // nil: never register
	constants       fig.Constants
	now             func() time.Time
	log             *slog.Logger
	supportsRestart bool      // set by the poller: a running agent with fig.restart
	appHealth       *appProbe // nil: fig.appHealthUrl not set
	restart         restartState

	interval time.Duration   // current poll interval; the server may change it
	lastLoad time.Time       // time of the last successful fetch: Fig's change cursor
	warned   map[string]bool // status warnings already logged
	// secrets holds the last non-null value of each secret setting, by
	// name (see keepSecrets).
	secrets map[string]fig.Setting
	// copies is the offline copy at the relay; nil: none (no relay, or
	// fig.allowOfflineSettings false).
	copies *offlineCopies
}

// load fetches and maps the client's settings.
func (f *figSource) load(ctx context.Context) ([]source.Entry, error) {
	settings, err := f.client.Settings(ctx)
	if errors.Is(err, fig.ErrNotRegistered) && f.declaration != nil {
		f.log.Info("client not registered in Fig; registering it from the settings declaration")
		if rerr := f.client.Register(ctx, *f.declaration); rerr != nil {
			return nil, rerr
		}
		settings, err = f.client.Settings(ctx)
	}
	if err != nil {
		return nil, err
	}
	settings = f.keepSecrets(settings)
	at := f.now().UTC()
	entries := f.mapSettings(settings, at, false)
	f.lastLoad = at
	f.copies.fetched(settings, at)
	return entries, nil
}

// mapSettings maps settings fetched (or, offline, read from the offline
// copy) at at.
func (f *figSource) mapSettings(settings []fig.Setting, at time.Time, offline bool) []source.Entry {
	return fig.Map(settings, fig.MapOptions{
		Constants: f.constants, LoadTime: at, IncludeMetadata: true, Offline: offline,
		Warn: func(setting string, err error) {
			f.log.Warn("Fig setting left out", "setting", setting, "error", err.Error())
		},
	})
}

// keepSecrets puts back the last good value of a secret setting that Fig
// now serves as null, with a warning. Fig's Key Vault option answers 200
// with every secret null when Key Vault fails (SecretStoreHandler.cs,
// AzureKeyVaultSecretStore.cs), and an outage on Fig's side must not take
// secrets out of the file. A setting whose definition changed — no longer
// secret, another value contract, or gone — keeps nothing.
func (f *figSource) keepSecrets(settings []fig.Setting) []fig.Setting {
	next := make(map[string]fig.Setting, len(f.secrets))
	var kept []string
	for i, s := range settings {
		if !s.IsSecret {
			continue
		}
		last, ok := f.secrets[s.Name]
		switch {
		case !s.Value.IsNull():
			next[s.Name] = s
		case ok && last.Value.Kind == s.Value.Kind:
			settings[i].Value = last.Value
			next[s.Name] = last
			kept = append(kept, s.Name)
		}
	}
	f.secrets = next
	if len(kept) > 0 {
		f.log.Warn("Fig returned no value for secret settings; keeping their last good values (is the Key Vault behind Fig failing?)",
			"settings", strings.Join(kept, ", "))
	}
	return settings
}

// register sends the settings declaration, as Fig.Client does at start-up.
// Fig refusing it (registrations disabled, another secret) is logged, not
// fatal: the client may already be registered by someone else.
func (f *figSource) register(ctx context.Context) error {
	if f.declaration == nil {
		return nil
	}
	err := f.client.Register(ctx, *f.declaration)
	if errors.Is(err, fig.ErrRegistrationRefused) {
		f.log.Warn("Fig refused the registration; continuing with the registered settings", "error", err.Error())
		return nil
	}
	return err
}

// status sends the heartbeat with the agent's health and returns Fig's reply.
// The server's poll interval, when it sends one, becomes the agent's.
func (f *figSource) status(ctx context.Context, health *fig.Health, props []fig.CustomProperty) (fig.StatusResponse, error) {
	resp, err := f.client.Status(ctx, fig.StatusRequest{
		LastSettingUpdate: f.lastLoad,
		PollInterval:      f.interval,
		SupportsRestart:   f.supportsRestart,
		Health:            health,
		CustomProperties:  props,
		// Fig.Client: _config.AllowOfflineSettings && AllowOfflineSettings
		// (SettingStatusMonitor.SyncStatus).
		OfflineSettingsEnabled: f.copies.enabled(),
	})
	if err != nil {
		return resp, err
	}
	f.copies.serverSaid(resp.AllowOfflineSettings, f.now().UTC())
	f.interval = figPollInterval(resp.PollIntervalMs, f.interval)
	f.warnOnce(resp.Warnings)
	return resp, nil
}

// warnOnce logs each distinct status warning the first time it appears: the
// same truncated property would otherwise be logged every poll interval,
// for the life of the pod.
func (f *figSource) warnOnce(warnings []string) {
	for _, w := range warnings {
		if f.warned[w] {
			continue
		}
		if f.warned == nil {
			f.warned = map[string]bool{}
		}
		f.warned[w] = true
		f.log.Warn("custom status property adjusted to Fig's limits", "detail", w)
	}
}

// networkFailure reports whether err is a transport failure (no HTTP status),
// after which Fig.Client stretches its poll interval five times.
func networkFailure(err error) bool {
	var se *source.Error
	return errors.As(err, &se) && se.StatusCode == 0 && se.Temporary
}
