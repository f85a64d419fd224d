package keyvault_test

import (
	"testing"

	"github.com/fig-injector/fig-injector/injector/source/keyvault"
)

func TestRequestEqual(t *testing.T) {
	ref := keyvault.Ref{Raw: "@Microsoft.KeyVault(VaultName=kv;SecretName=a)", VaultURL: "https://kv.vault.azure.net/", VaultName: "kv", Name: "a"}
	full := keyvault.Request{Prefix: "App-", Secrets: []keyvault.Mapping{{Name: "a", Key: "A"}}, References: []keyvault.Ref{ref}}
	tests := []struct {
		name string
		a, b keyvault.Request
		want bool
	}{
		{"zero values", keyvault.Request{}, keyvault.Request{}, true},
		{"nil and empty lists", keyvault.Request{}, keyvault.Request{Secrets: []keyvault.Mapping{}, References: []keyvault.Ref{}}, true},
		{"the same request", full, full, true},
		{"another prefix", full, keyvault.Request{Prefix: "Other-", Secrets: full.Secrets, References: full.References}, false},
		{"a mapping fewer", full, keyvault.Request{Prefix: full.Prefix, References: full.References}, false},
		{"another key", full, keyvault.Request{Prefix: full.Prefix, Secrets: []keyvault.Mapping{{Name: "a", Key: "B"}}, References: full.References}, false},
		{"optional differs", full, keyvault.Request{Prefix: full.Prefix, Secrets: []keyvault.Mapping{{Name: "a", Key: "A", Optional: true}}, References: full.References}, false},
		{"a reference fewer", full, keyvault.Request{Prefix: full.Prefix, Secrets: full.Secrets, References: []keyvault.Ref{}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
			if got := tt.b.Equal(tt.a); got != tt.want {
				t.Errorf("Equal (swapped) = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRequestIsEmpty(t *testing.T) {
	for _, tt := range []struct {
		req  keyvault.Request
		want bool
	}{
		{keyvault.Request{}, true},
		{keyvault.Request{Secrets: []keyvault.Mapping{}}, true},
		{keyvault.Request{Prefix: "App-"}, false},
		{keyvault.Request{Secrets: []keyvault.Mapping{{Name: "a", Key: "A"}}}, false},
		{keyvault.Request{References: []keyvault.Ref{{Name: "a"}}}, false},
	} {
		if got := tt.req.IsEmpty(); got != tt.want {
			t.Errorf("%+v.IsEmpty() = %v, want %v", tt.req, got, tt.want)
		}
	}
}
