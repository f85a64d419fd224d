package agent

import (
	"context"

	"github.com/fig-injector/fig-injector/injector/merge"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

// Redactor sets: each owner replaces its own when its secrets change.
const (
	redactValues       = "values"
	redactClientSecret = "fig client secret"
)

// rememberValues tells the redactor every secret value merged from: the
// Fig values marked secret and everything Key Vault returned, so that an
// error quoting one (a template's failed call) is blanked in every outlet.
func (a *Agent) rememberValues(in merge.Input) {
	var values []secret.Value
	for _, e := range in.Fig {
		if e.Secret {
			values = append(values, e.Value)
		}
	}
	for _, vault := range [][]source.Entry{in.Prefix, in.Explicit} {
		for _, e := range vault {
			values = append(values, e.Value)
		}
	}
	for _, v := range in.Resolved {
		values = append(values, v)
	}
	a.redactor.Remember(redactValues, values...)
}

// remembered wraps the Fig client-secret source so the redactor knows the
// secret in use, whichever place it comes from and however often it rotates.
func (a *Agent) remembered(get secretFunc) secretFunc {
	return func(ctx context.Context) (secret.Value, error) {
		v, err := get(ctx)
		if err == nil {
			a.redactor.Remember(redactClientSecret, v)
		}
		return v, err
	}
}
