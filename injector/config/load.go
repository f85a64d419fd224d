package config

import (
	"errors"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/fig-injector/fig-injector/injector/boundedfile"
	"github.com/fig-injector/fig-injector/injector/rules"
)

// Load reads, completes and validates the configuration file at path.
// getenv is os.Getenv in production; tests pass a map's lookup.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := boundedfile.Read(path, boundedfile.ConfigLimit)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := Parse(data)
	if err == nil {
		err = cfg.Complete(getenv)
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Complete applies the environment and the defaults, reads the webhook's
// allowlists (c.Allowlist), then validates, the allowlists included: what
// Load does after parsing, for configurations that come from elsewhere (an
// environment variable, flags).
func (c *Config) Complete(getenv func(string) string) error {
	c.ApplyEnv(getenv)
	c.ApplyDefaults()
	var errs []error
	c.Allowlist, errs = allowlistFromEnv(getenv)
	return errors.Join(append(errs, c.Validate())...)
}

// yamlFixes are Parse's fixes for a file that does not decode.
var yamlFixes = rules.YAMLFixes{
	Type:   "compare with docs/configuration.md",
	Fields: "remove or correct the field (see docs/configuration.md for the accepted names; names are case-sensitive)",
}

// Parse decodes YAML (or JSON) strictly: unknown and duplicate fields are
// errors that name the field's path, so a typo never silently falls back to a
// default.
func Parse(data []byte) (*Config, error) {
	var cfg Config
	if err := rules.DecodeYAML(data, &cfg, yamlFixes); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// Marshal renders the configuration as YAML, the format Parse reads.
func Marshal(cfg *Config) ([]byte, error) { return yaml.Marshal(cfg) }
