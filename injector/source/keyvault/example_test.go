package keyvault_test

import (
	"fmt"

	"github.com/fig-injector/fig-injector/injector/source/keyvault"
)

func ExampleParser_Parse() {
	p := keyvault.Parser{Vaults: map[string]string{"orders-kv": "https://127.0.0.1:8443/"}}
	for _, s := range []string{
		"@Microsoft.KeyVault(SecretUri=https://kv-shop.vault.azure.net/secrets/db-password/)",
		"@Microsoft.KeyVault(VaultName=orders-kv;SecretName=api-key;SecretVersion=ec96f02080254f109c51a1f14cdb1931)",
		"@Microsoft.KeyVault(VaultName=other-kv; SecretName=api-key)",
		"just a value",
	} {
		ref, ok, err := p.Parse(s)
		if err != nil || !ok {
			fmt.Println("not a reference:", s)
			continue
		}
		fmt.Printf("%s %s %q\n", ref.VaultURL, ref.Name, ref.Version)
	}
	// Output:
	// https://kv-shop.vault.azure.net/ db-password ""
	// https://127.0.0.1:8443/ api-key "ec96f02080254f109c51a1f14cdb1931"
	// https://other-kv.vault.azure.net/ api-key ""
	// not a reference: just a value
}
