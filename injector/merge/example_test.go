package merge_test

import (
	"fmt"

	"github.com/fig-injector/fig-injector/injector/merge"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

func ExampleMerge() {
	const ref = "@Microsoft.KeyVault(VaultName=kv;SecretName=db-pw)"
	res := merge.Merge(merge.Input{
		Fig: []source.Entry{
			{Key: "Db:Host", Value: secret.New("db.internal")},
			{Key: "Db:Password", Value: secret.New(ref)},
			{Key: "Api:Key", Value: secret.New("from-fig")},
			{Key: "Broken", Value: secret.New("@Microsoft.KeyVault(VaultName=kv;SecretName=gone)")},
		},
		Resolved: map[string]secret.Value{ref: secret.New("s3cret")},
		Explicit: []source.Entry{{Key: "api:key", Value: secret.New("from-key-vault")}},
	})
	for _, e := range res.Entries {
		// Values print as a placeholder; only the encoders reveal them.
		fmt.Printf("%s=%v origin=%s secret=%v\n", e.Key, e.Value, e.Origin, e.Secret)
	}
	for _, c := range res.Conflicts {
		fmt.Printf("conflict %s: %v, %s wins\n", c.Key, c.Origins, c.Winner)
	}
	fmt.Println("unresolved:", res.Unresolved)
	// Output:
	// api:key=[REDACTED] origin=keyvault-mapping secret=true
	// Db:Host=[REDACTED] origin=fig secret=false
	// Db:Password=[REDACTED] origin=fig secret=true
	// conflict api:key: [fig keyvault-mapping], keyvault-mapping wins
	// unresolved: [Broken]
}
