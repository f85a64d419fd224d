package output_test

import (
	"fmt"

	"github.com/fig-injector/fig-injector/injector/merge"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

const (
	refOrders = "@Microsoft.KeyVault(SecretUri=https://orders-kv.vault.azure.net/secrets/orders-db)"
	refBroken = "@Microsoft.KeyVault(VaultName=orders-kv;SecretName=missing)"

	// ordersPassword is the resolved secret: every character class the
	// encoders must escape.
	ordersPassword = "p@ss'w\"rd $HOME `id` \\ \n2nd line"
)

func e(key, value string) source.Entry { return source.Entry{Key: key, Value: secret.New(value)} }

// richInput is the one input every golden file is rendered from. Fig
// entries come in Fig's order, not sorted; merge sorts them.
func richInput() merge.Input {
	fig := []source.Entry{
		e("Logging:LogLevel:Default", "Information"),
		e("ConnectionStrings:Orders:Password", refOrders),
		e("ConnectionStrings:Orders:Host", "db.internal:5432"),
		e("logging:loglevel:Microsoft", "Warning"), // case variant: "Logging" is spelled first
		e("Sparse:2", "two"),                       // "0","2": an object, not an array
		e("Sparse:0", "zero"),
		e("Grid:1:Name", "second"),
		e("Grid:0:Name", "first"),
		e("Grid:0:Tags:0", "red"),
		e("Grid:0:Tags:1", "blue"),
		e("Matrix:0:0", "a"),
		e("Matrix:0:1", "b"),
		e("Matrix:1:0", "c"),
		e("Feature:Enabled", "True"),
		e("Feature:Ratio", "0.5"),
		e("Feature:Switch", "on"),
		e("Feature:Hex", "0x1F"),
		e("Feature:Tilde", "~"),
		e("Feature:Empty", ""),
		e("Clash:Child", "child"),
		e("Clash", "scalar"), // a value and a parent: dropped from json/yaml
		e("Unicode", "héllo wörld — 日本語 😀"),
		e("Quotes", `it's "quoted"`),
		e("Shell", "$HOME ${PATH} `whoami` $(id) ; & | < > * ? ~ # !"),
		e("Whitespace", "  padded\ttab\r\nnext  "),
		e("Backslash", `C:\path\to\file`),
		e("Username", "nested-user"), // simplified key of Auth->Username …
		e("Auth:Username", "nested-user"),
		e("Username", "top-user"), // … repeated by a top-level setting: last wins
		e("On", "yes"),            // a YAML 1.1 boolean as a key
		e("Api:Url", "https://api.example.com/v1?x=1&y=2"),
		e("Api:Key", "fig-key"),
		e("Broken", refBroken), // unresolved: left out
	}
	for i := 10; i >= 0; i-- { // Servers:0..10 is an array, in index order
		fig = append(fig, e(fmt.Sprintf("Servers:%d", i), fmt.Sprintf("host-%d", i)))
	}
	return merge.Input{
		Fig:      fig,
		Resolved: map[string]secret.Value{refOrders: secret.New(ordersPassword)},
		Prefix: []source.Entry{
			e("Cache:Redis:Password", "redis-secret"),
			e("Api:Key", "prefix-key"),
		},
		Explicit: []source.Entry{
			e("api:key", "explicit-key"), // wins, and its spelling "api" names the segment
		},
	}
}
