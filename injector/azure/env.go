package azure

import "os"

// The environment variables that the Azure Workload Identity webhook injects
// into every container of a pod labelled azure.workload.identity/use=true.
// Empty Options fields fall back to them.
const (
	EnvClientID      = "AZURE_CLIENT_ID"
	EnvTenantID      = "AZURE_TENANT_ID"
	EnvTokenFile     = "AZURE_FEDERATED_TOKEN_FILE"
	EnvAuthorityHost = "AZURE_AUTHORITY_HOST"
)

// webhookHint ends every "missing setting" fix: it is what normally provides
// the settings, and the usual reason they are absent.
const webhookHint = "(injected by the Azure Workload Identity webhook when the pod has label azure.workload.identity/use=true)"

// orEnv returns v, or the value of the environment variable name when v is
// empty. A variable that is set but empty counts as unset: azidentity would
// accept it and fail later with a less helpful message.
func orEnv(v, name string) string {
	if v != "" {
		return v
	}
	return os.Getenv(name)
}
