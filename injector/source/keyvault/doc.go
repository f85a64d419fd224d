// Package keyvault reads Azure Key Vault secrets with the pod's own workload
// identity and keeps them current at the lowest request cost (SPEC §2.1 rules
// 2, 3 and 5, §2.3).
//
// Three things come out of a vault, for one Request:
//
//   - prefix secrets: every usable secret whose name starts with the prefix,
//     keyed by the rest of the name with "--" turned into ":" (the .NET
//     KeyVaultSecretManager rule), Origin source.OriginPrefix;
//   - explicit mappings: one secret (latest or a pinned version) to one key,
//     Origin source.OriginExplicit;
//   - references: the values of @Microsoft.KeyVault(…) references found in
//     Fig settings (ParseReference), keyed by the reference's text.
//
// A secret that is disabled, expired (exp passed) or not yet valid (nbf in
// the future) counts as missing, exactly like one that does not exist.
//
// Life cycle: the agent creates one Vault per vault URL for the life of the
// process (NewVault; all share the one credential of azure.NewCredential),
// calls Fetch once for the first render, then Poll every interval with the
// last snapshot. Poll detects changes with whichever costs fewer requests:
// one list pass (Key Vault pages 25 secrets, so ⌈vault size/25⌉ requests)
// or one GET per secret followed at its latest version; it then fetches only
// what changed. Pinned versions are never requested twice.
//
// Every request to a vault holds one of its Concurrency slots, so a pod with
// a hundred secrets never has more than Concurrency requests in flight.
// Failures come back as *source.Error: Temporary for 408, 429, 5xx and
// network errors, RetryAfter from the response, a Fix for the operator, and
// never a secret value or a raw response body.
package keyvault
