// Package dev runs the local stand-ins for the services the agent talks to,
// as `fig-injector dev` (SPEC §4), the tests of other packages and the kind
// walkthrough use them: the Fig API emulator (dev/figapi), the Entra ID
// emulator (dev/entra) and one Key Vault emulator per vault (dev/keyvault),
// each on its own TLS listener with a certificate from a CA kept on disk
// (dev/devca), all filled from one seed file (see Seed).
//
// Start brings them up and writes, into Options.Dir, everything an agent
// needs to reach them: the CA certificate, a federated token file (refreshed
// before it expires), the Fig client secret and a complete agent.yaml. When
// the seed comes from a file, the file is watched and every saved edit is
// applied as a whole; an edit with a mistake is logged with the field and
// the fix, and the emulators keep the previous state.
//
// The emulators are exposed on Env so that tests can drive them further
// (SetValue, SetSecret, Inject, Requests, …).
//
// Like the emulators, this package imports nothing from injector/source or
// injector/agent: the clients and the servers are each written from the
// contracts on their own.
package dev
