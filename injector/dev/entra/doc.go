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
// Signatures: with Options.IssuerClient set, the token endpoint also verifies
// the assertion's signature as Entra does for a federated credential, against
// the keys the issuer publishes (its OIDC discovery document, then jwks_uri;
// RS256 and ES256, cached per issuer, fetched again for an unknown kid), and
// answers AADSTS700027 or AADSTS50166. `fig-injector dev --issuer-ca` turns it
// on, e.g. in a cluster whose service-account issuer is reachable from the
// emulator (the real-node suite). Without it only the claims are checked, so
// dev's own minted assertions (HS256 with a published key) work: anyone who
// can reach the emulator can then mint a token for any registered identity.
// It is a development tool, never a security boundary.
//
// Access tokens are opaque to clients (JWT-shaped, with an unsigned random
// signature part) and are remembered in memory, so that the Key Vault
// emulator can ask Server.ValidToken whether a bearer token is one this
// emulator issued, for which tenant and resource, and whether it is still
// valid.
package entra
