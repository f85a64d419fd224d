// Package config is the agent's configuration: its shape (SPEC §2, the YAML
// names are the product's interface), strict loading, defaults taken from the
// environment, and validation whose errors name the field and the fix.
//
// Loading happens in three steps, in this order, each in its own file:
//
//  1. Parse: strict YAML (unknown or duplicate fields are errors naming their path).
//  2. ApplyEnv: fill what the file left empty from the environment that Fig.Client
//     and the Azure Workload Identity webhook use (FIG_API_URI, AZURE_*, …).
//  3. Validate: every rule, every error naming the field and the fix.
//
// The webhook renders the same type back to YAML for injected agents, so every
// field marshals to the name it is parsed from.
package config

// Config is the whole agent configuration.
type Config struct {
	// Fig is the Fig client; nil when the pod reads only Key Vault.
	Fig *Fig `json:"fig,omitempty"`
	// KeyVaults lists the vaults read with the pod's own identity.
	KeyVaults []KeyVault `json:"keyVaults,omitempty"`
	// Outputs lists the files written from the merged configuration.
	Outputs []Output `json:"outputs"`
	// Azure configures the workload identity used for Key Vault.
	Azure Azure `json:"azure,omitzero"`
	// TLS adds trusted CAs for Fig, Entra ID and Key Vault.
	TLS TLS `json:"tls,omitzero"`
	// Notify tells the application after a changed file is in place.
	Notify Notify `json:"notify,omitzero"`
	// Listen is the address of /healthz, /readyz and /metrics; "" disables them.
	Listen string `json:"listen,omitempty"`
	// Relay subscribes the sidecar to the cluster's relay for early
	// wake-ups; nil: the agent polls on its own, exactly as without a relay.
	Relay *Relay `json:"relay,omitempty"`
	// InitTimeout bounds how long init mode (and the first render of a sidecar)
	// retries failing sources before it gives up with a one-line reason.
	InitTimeout Duration `json:"initTimeout,omitzero"`

	// Allowlist is not part of the file: Complete reads it from the
	// environment the webhook sets (see Allowlist); nil restricts nothing.
	Allowlist *Allowlist `json:"-"`
}

// Fig configures the Fig client, mirroring Fig.Client's own settings.
type Fig struct {
	// APIURI is a comma-separated list of Fig API base URIs; the first healthy
	// one is used. Default: env FIG_API_URI.
	APIURI string `json:"apiUri,omitempty"`
	// ClientName is the Fig client name (required).
	ClientName string `json:"clientName"`
	// Instance is the Fig instance. Default: env FIG_<CLIENTNAME>_INSTANCE.
	Instance string `json:"instance,omitempty"`
	// ClientSecret says where the client secret comes from. When empty, the
	// Fig.Client conventions apply: env FIG_<CLIENTNAME>_SECRET, then the
	// first line of /run/secrets/FIG_<CLIENTNAME>_SECRET.
	ClientSecret ClientSecret `json:"clientSecret,omitzero"`
	// PollInterval is the status poll interval; the server's pollIntervalMs
	// overrides it. Default: env FIG_POLL_INTERVAL_MS, else 30s.
	PollInterval Duration `json:"pollInterval,omitzero"`
	// Register is an optional settings declaration file; when set the agent
	// registers the client's settings with Fig as Fig.Client would.
	Register string `json:"register,omitempty"`
	// RequestTimeout bounds each request to the Fig API. Default: env
	// FIG_API_REQUEST_TIMEOUT_SECONDS (a positive integer), else 60s,
	// Fig.Client's default without an offline cache
	// (ValidatedHttpClientFactory.cs).
	RequestTimeout Duration `json:"requestTimeout,omitzero"`
	// AllowOfflineSettings is Fig.Client's FigOptions.AllowOfflineSettings:
	// with a relay that keeps offline copies, the agent uploads its last
	// good Fig settings there, encrypted with the client secret, and a pod
	// that finds Fig unreachable at start renders from that copy. Fig's own
	// AllowOfflineSettings must allow it too. Default (nil) true, as in
	// Fig.Client.
	AllowOfflineSettings *bool `json:"allowOfflineSettings,omitempty"`
	// ApplicationVersion is reported to Fig as the application's version
	// (Fig.Client's VersionOverride). Default: env FIG_INJECTOR_APP_VERSION,
	// which the webhook sets (the app container's image tag unless the pod
	// names one), else "Unknown" as Fig.Client's VersionProvider says.
	ApplicationVersion string `json:"applicationVersion,omitempty"`
	// AppHealthURL is the application's health endpoint, probed before each
	// status and reported to Fig as a health component next to the agent's.
	AppHealthURL string `json:"appHealthUrl,omitempty"`
	// Overrides are setting values the pod supplies, sent with the
	// registration as Fig.Client sends environment overrides
	// (ClientSettingOverrides; Fig shows them as externally managed). Keys
	// are setting names from the fig.register declaration; values are text
	// as in an environment variable. Needs fig.register.
	Overrides map[string]string `json:"overrides,omitempty"`
	// Restart is what the agent does when Fig requests a restart; nil
	// reports SupportsRestart false, so Fig offers no restart.
	Restart *Restart `json:"restart,omitempty"`
}

// OfflineAllowed is AllowOfflineSettings with its default.
func (f *Fig) OfflineAllowed() bool { return f.AllowOfflineSettings == nil || *f.AllowOfflineSettings }

// Restart names exactly one way to restart the application.
type Restart struct {
	// Signal signals the app's main process (default SIGTERM); the kubelet
	// restarts the container when it exits. Needs shareProcessNamespace.
	Signal *SignalNotify `json:"signal,omitempty"`
	// HTTP POSTs to an endpoint the application implements.
	HTTP *HTTPNotify `json:"http,omitempty"`
}

// ClientSecret names exactly one source of the Fig client secret.
type ClientSecret struct {
	// File is read, first line only (a mounted Kubernetes Secret).
	File string `json:"file,omitempty"`
	// Env names an environment variable.
	Env string `json:"env,omitempty"`
	// KeyVault is a Key Vault secret URI fetched with the pod identity.
	KeyVault string `json:"keyVault,omitempty"`
}

// KeyVault is one vault and what to read from it.
type KeyVault struct {
	// URL is the vault URL, e.g. https://orders-kv.vault.azure.net/.
	URL string `json:"url"`
	// Name is the vault name that @Microsoft.KeyVault(VaultName=…) references
	// use. Default: the first label of the URL's host.
	Name string `json:"name,omitempty"`
	// Prefix loads every enabled secret whose name starts with it; the prefix
	// is stripped and "--" becomes ":".
	Prefix string `json:"prefix,omitempty"`
	// Secrets are explicit mappings; they win over prefix secrets.
	Secrets []SecretMapping `json:"secrets,omitempty"`
	// PollInterval is how often the vault is checked for changes. Default 60s.
	PollInterval Duration `json:"pollInterval,omitzero"`
}

// SecretMapping maps one secret to one configuration key.
type SecretMapping struct {
	// Name is the secret name in the vault.
	Name string `json:"name"`
	// Key is the configuration key, ":"-separated.
	Key string `json:"key"`
	// Version pins a version; a pinned secret is never re-polled.
	Version string `json:"version,omitempty"`
	// Optional leaves a missing secret out instead of failing.
	Optional bool `json:"optional,omitempty"`
}

// Output is one rendered file.
type Output struct {
	// Path is the file to write; its directory must exist (the shared volume).
	Path string `json:"path"`
	// Format is json, yaml, env, properties or template. Default json.
	Format string `json:"format,omitempty"`
	// Template is the Go text/template file, with format template.
	Template string `json:"template,omitempty"`
	// Mode is the octal file mode. Default "0440".
	Mode string `json:"mode,omitempty"`
}

// Azure configures the workload identity. Empty fields default to the env
// that the Azure Workload Identity webhook injects.
type Azure struct {
	ClientID      string `json:"clientId,omitempty"`      // AZURE_CLIENT_ID
	TenantID      string `json:"tenantId,omitempty"`      // AZURE_TENANT_ID
	TokenFile     string `json:"tokenFile,omitempty"`     // AZURE_FEDERATED_TOKEN_FILE, re-read as the kubelet rotates it
	AuthorityHost string `json:"authorityHost,omitempty"` // AZURE_AUTHORITY_HOST
	// DisableInstanceDiscovery is for air-gapped clouds and the local emulators.
	DisableInstanceDiscovery bool `json:"disableInstanceDiscovery,omitempty"`
	// DisableChallengeResourceVerification is only for vaults outside the
	// Azure Key Vault DNS suffixes (the emulators).
	DisableChallengeResourceVerification bool `json:"disableChallengeResourceVerification,omitempty"`
	// KeyVaultDNSSuffix turns VaultName=kv references into https://kv.<suffix>/.
	// Default vault.azure.net; sovereign clouds use their own.
	KeyVaultDNSSuffix string `json:"keyVaultDnsSuffix,omitempty"`
}

// Relay is the agent's subscription to fig-injector relay (docs/operations.md#relay).
type Relay struct {
	// URL is the relay's HTTPS base URL, e.g.
	// https://fig-injector-relay.fig-injector.svc:8443.
	URL string `json:"url"`
	// TokenFile is the projected service-account token for the relay's
	// audience, re-read at every connection (the kubelet rotates it).
	TokenFile string `json:"tokenFile"`
}

// TLS adds trust for private CAs.
type TLS struct {
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string `json:"caFile,omitempty"`
}

// Notify is what happens after a changed file is in place. Both may be set.
type Notify struct {
	Signal *SignalNotify `json:"signal,omitempty"`
	HTTP   *HTTPNotify   `json:"http,omitempty"`
}

// SignalNotify signals processes by name (needs shareProcessNamespace).
type SignalNotify struct {
	Process string `json:"process"`
	Name    string `json:"name,omitempty"` // default SIGHUP
}

// HTTPNotify POSTs to a local URL.
type HTTPNotify struct {
	URL string `json:"url"`
}
