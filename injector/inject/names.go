package inject

// Every name below is part of the product's interface (SPEC §3): users write
// the annotations, the chart and docs cite the names, and tests find injected
// objects by them. Change one only together with its docs, chart and tests.

// InjectLabel opts a pod in. It is the webhook's objectSelector, so pods
// without it never reach the webhook.
const InjectLabel = "fig-injector.io/inject"

// AnnotationPrefix is the prefix of every annotation the webhook reads. An
// unknown annotation with this prefix is denied, so a typo never silently
// falls back to a default.
const AnnotationPrefix = "fig-injector.io/"

// The pod annotations of SPEC §3. ParseRequest reads each exactly once.
const (
	// ClientNameAnnotation is the Fig client name (required unless the whole
	// config comes from ConfigConfigMapAnnotation).
	ClientNameAnnotation = "fig-injector.io/client-name"
	// InstanceAnnotation is the Fig instance.
	InstanceAnnotation = "fig-injector.io/instance"
	// FigAPIURIAnnotation overrides the chart's default Fig API URI; a
	// comma-separated list like FIG_API_URI. Every entry must match the
	// allowlist.
	FigAPIURIAnnotation = "fig-injector.io/fig-api-uri"
	// ClientSecretAnnotation is "<secret>/<key>" of a Kubernetes Secret in the
	// pod's namespace (mounted read-only into the agent containers only), or a
	// Key Vault secret URI fetched with the pod's identity.
	ClientSecretAnnotation = "fig-injector.io/client-secret"
	// KeyVaultAnnotation is the URL of one vault read with the pod's identity.
	KeyVaultAnnotation = "fig-injector.io/keyvault"
	// KeyVaultPrefixAnnotation loads every enabled secret of the vault whose
	// name starts with the prefix.
	KeyVaultPrefixAnnotation = "fig-injector.io/keyvault-prefix"
	// SecretsAnnotation maps secrets to keys, one "Config:Key=secret-name[/version]"
	// per line.
	SecretsAnnotation = "fig-injector.io/secrets"
	// FormatAnnotation is the output format: json (default), yaml, env,
	// properties or template.
	FormatAnnotation = "fig-injector.io/format"
	// OutputPathAnnotation is the output file (default DefaultOutputPath). Its
	// directory becomes the shared volume's mount path in every container.
	OutputPathAnnotation = "fig-injector.io/output-path"
	// TemplateConfigMapAnnotation is "<configmap>[/<key>]" holding a Go
	// text/template (key default DefaultTemplateKey); it implies format template.
	TemplateConfigMapAnnotation = "fig-injector.io/template-configmap"
	// ConfigConfigMapAnnotation is "<configmap>[/<key>]" holding a whole agent
	// config (key default DefaultConfigKey). The agent watches it.
	ConfigConfigMapAnnotation = "fig-injector.io/config-configmap"
	// ModeAnnotation is native, classic or init-only.
	ModeAnnotation = "fig-injector.io/mode"
	// NotifyAnnotation is "signal:SIGHUP:<process>" (sets shareProcessNamespace)
	// or "http://127.0.0.1:PORT/path".
	NotifyAnnotation = "fig-injector.io/notify"
	// ContainersAnnotation is a comma-separated list of the containers that get
	// the read-only mount (default: every regular app container).
	ContainersAnnotation = "fig-injector.io/containers"
)

// Azure Workload Identity names (contracts/azure.md §7, §10). The upstream
// webhook reads client-id and tenant-id from the service account; ours reads
// them from the pod (it does not call the API server) when it adds the
// identity itself.
const (
	AzureUseLabel           = "azure.workload.identity/use"
	AzureClientIDAnnotation = "azure.workload.identity/client-id"
	AzureTenantIDAnnotation = "azure.workload.identity/tenant-id"
)

// Names of what Mutate adds. Everything injected is found again by these
// names, which is what makes Mutate an upsert.
const (
	// AgentContainerName is the long-running agent: the native sidecar (an
	// init container with restartPolicy Always) or the classic sidecar.
	AgentContainerName = "fig-injector"
	// InitContainerName renders once before the app starts (classic and
	// init-only modes).
	InitContainerName = "fig-injector-init"

	// VolumeName is the memory-backed emptyDir that holds the rendered file.
	VolumeName = "fig-injector"
	// TemplateVolumeName, ConfigVolumeName, ClientSecretVolumeName and
	// TrustVolumeName are mounted read-only into the agent containers only.
	TemplateVolumeName     = "fig-injector-template"
	ConfigVolumeName       = "fig-injector-config"
	ClientSecretVolumeName = "fig-injector-client-secret"
	TrustVolumeName        = "fig-injector-ca"
	// TokenVolumeName is the projected service-account token the webhook adds
	// when Settings.AddWorkloadIdentity is set (clusters without the Azure
	// Workload Identity webhook, e.g. kind).
	TokenVolumeName = "fig-injector-azure-identity-token"
	// RelayTokenVolumeName is the projected service-account token for the
	// relay's audience, added in sidecar modes when the cluster runs a relay.
	RelayTokenVolumeName = "fig-injector-relay-token"
)

// Paths inside the agent containers.
const (
	DefaultOutputPath      = "/fig/appsettings.json"
	TemplateMountPath      = "/etc/fig-injector/template"
	ConfigMountPath        = "/etc/fig-injector/config"
	ClientSecretMountPath  = "/etc/fig-injector/client-secret"
	TrustMountPath         = "/etc/fig-injector/ca"
	TokenMountPath         = "/var/run/secrets/fig-injector/azure"
	TokenFileName          = "azure-identity-token"
	RelayTokenMountPath    = "/var/run/secrets/fig-injector/relay"
	RelayTokenFileName     = "token"
	DefaultTemplateKey     = "template.tmpl"
	DefaultConfigKey       = "config.yaml"
	StateDirName           = ".fig-injector" // under the shared mount, classic mode
	TokenAudience          = "api://AzureADTokenExchange"
	TokenExpirationSeconds = int64(3600) // the upstream default (contracts/azure.md §7)
)

// Environment variables set in the agent containers.
const (
	// ConfigEnvVar carries the agent config (YAML) derived from annotations;
	// the agent reads it when --config is absent.
	ConfigEnvVar = "FIG_INJECTOR_CONFIG"
	// FigAPIURIEnvVar is the chart's default Fig API URI, set with a
	// ConfigMap config so the file may leave fig.apiUri out.
	FigAPIURIEnvVar = "FIG_API_URI"

	// AllowedFigAPIURIsEnvVar and AllowedKeyVaultSuffixesEnvVar hand the
	// chart's allowlists to the agent (comma-separated; "none" for an empty
	// list), which enforces them on a configuration loaded or reloaded after
	// admission and on Key Vault references in Fig values. The agent reads
	// them under the same names (config.AllowedFigAPIURIsEnv, …).
	AllowedFigAPIURIsEnvVar       = "FIG_INJECTOR_ALLOWED_FIG_API_URIS"
	AllowedKeyVaultSuffixesEnvVar = "FIG_INJECTOR_ALLOWED_KEY_VAULT_SUFFIXES"
	// AllowedAzureAuthorityHostEnvVar (the chart's azureAuthorityHost),
	// AllowDisableChallengeResourceVerificationEnvVar ("true" or "false")
	// and AllowedOutputDirEnvVar (the shared volume's mount path) hand the
	// agent what admission compared a ConfigMap config's azure.authorityHost,
	// azure.disableChallengeResourceVerification and outputs against, so the
	// agent refuses an edit after admission that breaks those rules (and,
	// with them set, a notify.http.url off the pod's loopback). The agent
	// reads them under the same names (config.AllowedAzureAuthorityHostEnv, …).
	AllowedAzureAuthorityHostEnvVar                 = "FIG_INJECTOR_ALLOWED_AZURE_AUTHORITY_HOST"
	AllowDisableChallengeResourceVerificationEnvVar = "FIG_INJECTOR_ALLOW_DISABLE_CHALLENGE_RESOURCE_VERIFICATION"
	AllowedOutputDirEnvVar                          = "FIG_INJECTOR_ALLOWED_OUTPUT_DIR"
	// ConfineFilesEnvVar hands the agent the mount paths of its private
	// volumes (agentFileDirs), which every file its configuration reads must
	// stay in, as admission checked (config.ConfineFilesEnv).
	ConfineFilesEnvVar = "FIG_INJECTOR_CONFINE_FILES"
	// AllowedRelayURLEnvVar hands the agent the cluster's relay URL, the only
	// relay.url a ConfigMap config may name (config.AllowedRelayURLEnv); set
	// only when the cluster runs a relay.
	AllowedRelayURLEnvVar = "FIG_INJECTOR_ALLOWED_RELAY_URL"

	AzureClientIDEnvVar      = "AZURE_CLIENT_ID"
	AzureTenantIDEnvVar      = "AZURE_TENANT_ID"
	AzureTokenFileEnvVar     = "AZURE_FEDERATED_TOKEN_FILE"
	AzureAuthorityHostEnvVar = "AZURE_AUTHORITY_HOST"
	azureEnvPrefix           = "AZURE_"
)

// AgentPortName names the agent's /healthz, /readyz, /metrics port.
const AgentPortName = "fig-agent"
