package webhook

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/fig-injector/fig-injector/injector/boundedfile"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/injector/rules"
)

// Config is the webhook's config file, rendered by the chart into a
// ConfigMap: the injection settings (inject.Settings, whose keys sit at the
// top level) plus what only the webhook needs.
type Config struct {
	inject.Settings `json:",inline"`
	// ExcludedNamespaces are never mutated, whatever the namespaceSelector
	// says (defence in depth for kube-system and the webhook's own namespace).
	ExcludedNamespaces []string `json:"excludedNamespaces,omitempty"`
}

// LoadConfig reads, completes and validates the config file at path.
func LoadConfig(path string) (*Config, error) {
	data, err := boundedfile.Read(path, boundedfile.ConfigLimit)
	if err != nil {
		return nil, fmt.Errorf("read webhook config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("webhook config %s: %w", path, err)
	}
	return cfg, nil
}

// yamlFixes are ParseConfig's fixes for a file that does not decode.
var yamlFixes = rules.YAMLFixes{
	Type:   "compare with the chart's values.yaml",
	Fields: "remove or correct the key (names are case-sensitive)",
}

// ParseConfig decodes YAML strictly (unknown or duplicate keys are errors
// naming the key), applies defaults and validates. The error joins one
// *config.FieldError per invalid field.
func ParseConfig(data []byte) (*Config, error) {
	var cfg Config
	if err := rules.DecodeYAML(data, &cfg, yamlFixes); err != nil {
		return nil, err
	}
	cfg.ApplyDefaults()
	errs := []error{cfg.Settings.Validate()}
	for i, ns := range cfg.ExcludedNamespaces {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			errs = append(errs, &config.FieldError{Path: fmt.Sprintf("excludedNamespaces[%d]", i), Problem: fmt.Sprintf("%q: %s", ns, msgs[0]), Fix: "use a namespace name"})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &cfg, nil
}
