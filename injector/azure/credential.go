package azure

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Options configure NewCredential. Each empty string falls back to the
// environment variable named in its comment; the field names mirror the
// agent config's azure section.
type Options struct {
	ClientID      string // AZURE_CLIENT_ID: the application (client) ID of the identity
	TenantID      string // AZURE_TENANT_ID: the directory (tenant) ID
	TokenFile     string // AZURE_FEDERATED_TOKEN_FILE: the projected service-account token
	AuthorityHost string // AZURE_AUTHORITY_HOST; default https://login.microsoftonline.com/
	// DisableInstanceDiscovery skips Entra's instance-discovery request to
	// login.microsoftonline.com: needed in air-gapped clouds and with the
	// local emulators, where that host is unreachable (the SDK would retry
	// for ~19 s before failing).
	DisableInstanceDiscovery bool
	// HTTPClient sends the credential's requests (the transport package's
	// client: proxy, extra CAs, metrics); nil means the SDK default.
	HTTPClient *http.Client
}

// tenantPattern is what azidentity accepts as a tenant ID.
var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)

// NewCredential returns the workload-identity credential for the process.
// Call it once and share the result (see the package doc). Errors name the
// missing or invalid setting and how to provide it; nothing is sent over the
// network until the first token is needed.
func NewCredential(opts Options) (azcore.TokenCredential, error) {
	clientID := orEnv(opts.ClientID, EnvClientID)
	tenantID := orEnv(opts.TenantID, EnvTenantID)
	tokenFile := orEnv(opts.TokenFile, EnvTokenFile)
	authority := orEnv(opts.AuthorityHost, EnvAuthorityHost)

	var errs []error
	if clientID == "" {
		errs = append(errs, fmt.Errorf("no client ID; fix: set azure.clientId or %s %s", EnvClientID, webhookHint))
	}
	switch {
	case tenantID == "":
		errs = append(errs, fmt.Errorf("no tenant ID; fix: set azure.tenantId or %s %s", EnvTenantID, webhookHint))
	case !tenantPattern.MatchString(tenantID):
		errs = append(errs, fmt.Errorf("tenant ID %q is not valid; fix: use the directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47", tenantID))
	}
	if tokenFile == "" {
		errs = append(errs, fmt.Errorf("no federated token file; fix: set azure.tokenFile or %s %s", EnvTokenFile, webhookHint))
	} else if err := checkTokenFile(tokenFile); err != nil {
		errs = append(errs, err)
	}
	authority, err := normalizeAuthority(authority)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("azure workload identity: %w", errors.Join(errs...))
	}

	co := ClientOptions(opts.HTTPClient)
	if authority != "" {
		co.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: authority}
	}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions:            co,
		ClientID:                 clientID,
		TenantID:                 tenantID,
		TokenFilePath:            tokenFile,
		DisableInstanceDiscovery: opts.DisableInstanceDiscovery,
	})
	if err != nil {
		return nil, fmt.Errorf("azure workload identity: %w", err)
	}
	return cred, nil
}

// checkTokenFile fails early when the projected token is not there: the SDK
// reads it only at the first token request, and its error would then surface
// as an authentication failure of some Key Vault call.
func checkTokenFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return fmt.Errorf("federated token file: %w; fix: check that the pod mounts the projected service-account token %s", err, webhookHint)
	case fi.IsDir():
		return fmt.Errorf("federated token file %s is a directory; fix: point azure.tokenFile or %s at the token file inside it", path, EnvTokenFile)
	}
	return nil
}

// normalizeAuthority checks an authority host and gives it the trailing
// slash the SDK expects. MSAL takes the first path segment as the tenant, so
// an authority with a path cannot work; http is refused by the SDK.
func normalizeAuthority(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return "", fmt.Errorf("authority host %q is not an https URL without a path; fix: set azure.authorityHost or %s to e.g. https://login.microsoftonline.com/ (or your cloud's authority)", s, EnvAuthorityHost)
	}
	return "https://" + u.Host + "/", nil
}
