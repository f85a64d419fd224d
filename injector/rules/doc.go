// Package rules is the one home of the input rules that several packages
// check: Key Vault secret and vault names, Fig client names, output formats
// and file modes, signals, and strict YAML decoding. The webhook (inject),
// the agent's configuration (config) and the sources (keyvault, fig) all
// call these functions, so an annotation, a ConfigMap config and a value
// the agent reads at run time are held to the same rule.
//
// A rule answers with a bool or with an error that completes a sentence
// whose subject is the value's field ("is longer than 255 characters"): the
// caller knows the field and the fix, and wraps the answer with them.
//
// The package depends on the standard library and on sigs.k8s.io/yaml and
// sigs.k8s.io/json only (strict decoding needs their case-sensitive,
// duplicate-aware field matching), so every package may import it.
package rules
