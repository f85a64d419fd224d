// Package keyvault emulates the Azure Key Vault secrets data plane as the
// azsecrets SDK speaks it (contracts/azure.md §4): challenge authentication,
// GET of the latest or a given secret version, the paged secret list and the
// paged version list, with the service's JSON shapes and error bodies. One
// Server is one vault. It serves `fig-injector dev`, the tests and the kind
// walkthrough.
//
// The emulator is read-only over HTTP. Secrets are seeded and changed through
// Go methods (SetSecret, SetEnabled, Delete, …), which is how the dev seed
// file and tests drive it.
//
// Access tokens are checked through a TokenValidator (the Entra emulator
// implements it); this package does not import the Entra emulator, so either
// side can be replaced or tested alone.
package keyvault
