package config

import "time"

// Defaults, named so docs and tests can cite them.
const (
	DefaultFigPollInterval      = 30 * time.Second // Fig.Client's default
	DefaultFigRequestTimeout    = 60 * time.Second // Fig.Client's default without offline settings
	MaxFigRequestTimeout        = 10 * time.Minute
	DefaultKeyVaultPollInterval = 60 * time.Second
	DefaultFormat               = "json"
	DefaultMode                 = "0440"
	DefaultInitTimeout          = 2 * time.Minute
	DefaultKeyVaultDNSSuffix    = "vault.azure.net"
	DefaultSignal               = "SIGHUP"
	DefaultRestartSignal        = "SIGTERM"
	// DefaultApplicationVersion is Fig.Client's VersionProvider answer when
	// it cannot tell the application's version.
	DefaultApplicationVersion = "Unknown"
)

// ApplyDefaults fills every field that has a default and is still empty.
func (c *Config) ApplyDefaults() {
	if c.Fig != nil && c.Fig.PollInterval.IsZero() {
		c.Fig.PollInterval = Dur(DefaultFigPollInterval)
	}
	if c.Fig != nil && c.Fig.RequestTimeout.IsZero() {
		c.Fig.RequestTimeout = Dur(DefaultFigRequestTimeout)
	}
	if c.Fig != nil {
		setIfEmpty(&c.Fig.ApplicationVersion, DefaultApplicationVersion)
		if r := c.Fig.Restart; r != nil && r.Signal != nil {
			setIfEmpty(&r.Signal.Name, DefaultRestartSignal)
		}
	}
	for i := range c.KeyVaults {
		if c.KeyVaults[i].PollInterval.IsZero() {
			c.KeyVaults[i].PollInterval = Dur(DefaultKeyVaultPollInterval)
		}
	}
	for i := range c.Outputs {
		setIfEmpty(&c.Outputs[i].Format, DefaultFormat)
		setIfEmpty(&c.Outputs[i].Mode, DefaultMode)
	}
	if c.InitTimeout.IsZero() {
		c.InitTimeout = Dur(DefaultInitTimeout)
	}
	setIfEmpty(&c.Azure.KeyVaultDNSSuffix, DefaultKeyVaultDNSSuffix)
	if s := c.Notify.Signal; s != nil {
		setIfEmpty(&s.Name, DefaultSignal)
	}
}
