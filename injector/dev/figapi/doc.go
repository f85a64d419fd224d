// Package figapi emulates the part of the Fig API that clients use
// (contracts/fig-api.md §2): the health, capabilities and version probes,
// client registration, the deferred description update, the settings fetch
// and the status poll, with Fig's exact JSON (§3: Newtonsoft, "$type" first,
// camelCase, nulls left out, .NET number/date/time-span formats) and error
// bodies (§6). It serves `fig-injector dev`, the README demo, the tests and
// the kind walkthrough, so it aims to be strict where real Fig is strict:
// a client that works here should work against Fig.
//
// State lives in memory. Tests and the dev seed file drive it through Go
// methods (Seed, SetValue, RequestRestart, …) and observe it through others
// (Registration, RunSessions, Requests, Options.Observe); Inject makes a
// route fail or stall. An optional HTTP admin surface under /_dev/ (not part
// of Fig's API) exists for the kind walkthrough.
//
// The package deliberately imports nothing from injector/source: the Fig
// client and this server are each written from the contract on their own,
// so a misreading of the contract cannot hide in both.
package figapi
