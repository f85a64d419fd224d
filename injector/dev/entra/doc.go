// Package entra emulates the part of Microsoft Entra ID that a workload
// identity client (azidentity's WorkloadIdentityCredential, through MSAL Go)
// talks to: instance discovery, the tenant's OpenID configuration and the
// token endpoint's client-credentials grant with a federated client assertion.
// It serves `fig-injector dev`, the tests and the kind walkthrough; the wire
// format follows contracts/azure.md §1 so that the real SDK accepts it.
//
// Federated credentials are registered as in Entra (tenant, application
// client ID, issuer, subject, audience) and the token endpoint matches the
// presented assertion against them, answering with Entra's error codes
// (AADSTS90002, 700016, 700211, 700212, 700213, 700024, …) when nothing
// matches.
//
// What it does NOT do: verify the assertion's signature. Entra fetches the
// issuer's JWKS (the cluster's service-account signing keys) to do that; the
// emulator cannot know those keys for every cluster it may be pointed at, so
// it decodes the payload only and checks iss, sub, aud and the time claims.
// Anyone who can reach the emulator can therefore mint a token for any
// registered identity: it is a development tool, never a security boundary.
//
// Access tokens are opaque to clients (JWT-shaped, with an unsigned random
// signature part) and are remembered in memory, so that the Key Vault
// emulator can ask Server.ValidToken whether a bearer token is one this
// emulator issued, for which tenant and resource, and whether it is still
// valid.
package entra
