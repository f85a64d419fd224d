// Package azure builds the process's one Azure credential and the client
// options every Azure SDK client of fig-injector shares.
//
// One credential for the life of the process matters: each
// azidentity credential instance repeats the OpenID-configuration request and
// a token POST, and keeps its own token cache (contracts/azure.md §2). The
// agent creates it once with NewCredential and hands it to every Key Vault
// client.
//
// The credential is azidentity's WorkloadIdentityCredential: it exchanges the
// Kubernetes service-account token that the kubelet projects into the pod
// (AZURE_FEDERATED_TOKEN_FILE) for an Entra ID access token. The kubelet
// rotates that file (at 80 % of its TTL, 1 h by default); the credential
// re-reads it lazily, whenever it needs a new access token and its in-memory
// copy is older than 10 minutes, so rotation needs no restart and no file
// watch here. Access tokens are cached in memory and refreshed by the SDK
// about 5 minutes before they expire.
package azure
