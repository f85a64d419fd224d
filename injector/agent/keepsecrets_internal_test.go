package agent

import (
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/fig-injector/fig-injector/injector/source/fig"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
)

// TestKeepSecretsOnlyWhileTheDefinitionStands: a secret that turns null
// keeps its last good value while the setting is still a secret of the same
// value contract; a changed definition (not secret, another contract, or
// the setting gone meanwhile) keeps nothing.
func TestKeepSecretsOnlyWhileTheDefinitionStands(t *testing.T) {
	good := fig.Setting{Name: "Key", IsSecret: true, Value: contract.StringValue("s3cr3t")}
	null := fig.Setting{Name: "Key", IsSecret: true, Value: contract.NullValue(contract.KindString)}
	tests := []struct {
		name  string
		fetch [][]fig.Setting // successive fetches; the last one is checked
		want  json.RawMessage // nil: null
	}{
		{"null after a value", [][]fig.Setting{{good}, {null}}, contract.StringValue("s3cr3t").Raw},
		{"null twice", [][]fig.Setting{{good}, {null}, {null}}, contract.StringValue("s3cr3t").Raw},
		{"null first", [][]fig.Setting{{null}}, nil},
		{"no longer secret", [][]fig.Setting{{good}, {{Name: "Key", Value: contract.NullValue(contract.KindString)}}}, nil},
		{"another contract", [][]fig.Setting{{good}, {{Name: "Key", IsSecret: true, Value: contract.NullValue(contract.KindJSON)}}}, nil},
		{"gone in between", [][]fig.Setting{{good}, {}, {null}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &figSource{log: slog.New(slog.DiscardHandler)}
			var got []fig.Setting
			for _, s := range tt.fetch {
				got = f.keepSecrets(append([]fig.Setting(nil), s...))
			}
			if string(got[0].Value.Raw) != string(tt.want) {
				t.Errorf("value = %s, want %s", got[0].Value.Raw, tt.want)
			}
		})
	}
}
