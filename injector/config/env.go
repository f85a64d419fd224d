package config

import (
	"strconv"
	"strings"
	"time"
)

// ClientKey is the client name as Fig.Client puts it in env var names:
// spaces removed, upper case (FIG_<CLIENTKEY>_SECRET, FIG_<CLIENTKEY>_INSTANCE).
func ClientKey(clientName string) string {
	return strings.ToUpper(strings.ReplaceAll(clientName, " ", ""))
}

// AzureAuthorityHostEnv is the Azure SDK's authority host variable, set by
// the Azure Workload Identity webhook (and copied into the agent from an app
// container): the authority that receives the pod's federated token.
const AzureAuthorityHostEnv = "AZURE_AUTHORITY_HOST"

// ApplyEnv fills fields the file left empty from the environment Fig.Client
// and the Azure Workload Identity webhook use. The file always wins.
func (c *Config) ApplyEnv(getenv func(string) string) {
	if f := c.Fig; f != nil {
		setIfEmpty(&f.APIURI, getenv("FIG_API_URI"))
		if f.ClientName != "" {
			setIfEmpty(&f.Instance, getenv("FIG_"+ClientKey(f.ClientName)+"_INSTANCE"))
		}
		if f.PollInterval.IsZero() {
			if ms, err := strconv.Atoi(getenv("FIG_POLL_INTERVAL_MS")); err == nil && ms > 0 {
				f.PollInterval = Dur(time.Duration(ms) * time.Millisecond)
			}
		}
		setIfEmpty(&f.ApplicationVersion, strings.TrimSpace(getenv(AppVersionEnv)))
		if f.RequestTimeout.IsZero() {
			// Fig.Client's ValidatedHttpClientFactory takes a positive
			// int.TryParse value and ignores anything else.
			if s, err := strconv.Atoi(strings.TrimSpace(getenv("FIG_API_REQUEST_TIMEOUT_SECONDS"))); err == nil && s > 0 {
				f.RequestTimeout = Dur(time.Duration(s) * time.Second)
			}
		}
	}
	a := &c.Azure
	setIfEmpty(&a.ClientID, getenv("AZURE_CLIENT_ID"))
	setIfEmpty(&a.TenantID, getenv("AZURE_TENANT_ID"))
	setIfEmpty(&a.TokenFile, getenv("AZURE_FEDERATED_TOKEN_FILE"))
	setIfEmpty(&a.AuthorityHost, getenv(AzureAuthorityHostEnv))
}

func setIfEmpty(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}
