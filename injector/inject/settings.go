package inject

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/fig-injector/fig-injector/injector/allowlist"
	"github.com/fig-injector/fig-injector/injector/config"
)

// Settings are the cluster-wide defaults and limits from the chart (the
// webhook's config file). They are resolved once at start-up; Mutate only
// reads them. The JSON names are the config file's keys.
type Settings struct {
	// Image is the agent image (required).
	Image string `json:"image"`
	// ImagePullPolicy of the agent containers. Default IfNotPresent.
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`
	// Command runs the binary in Image. Default DefaultCommand.
	Command []string `json:"command,omitempty"`
	// Resources of each agent container. Default DefaultResources.
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// Port serves the agent's /healthz, /readyz and /metrics. Default 9102.
	Port int32 `json:"port,omitempty"`
	// RunAsUser is the agent's numeric UID and GID. Default 65532 (distroless
	// nonroot). With a signal notification the agent runs as the app instead.
	RunAsUser int64 `json:"runAsUser,omitempty"`
	// PlatformAssignsUser leaves the agent's UID and GID to the platform
	// (OpenShift's restricted SCC assigns every container of a pod one UID
	// from the namespace's range and refuses others): RunAsUser is then not
	// set, the pod gains no supplemental group, and a signal notification
	// needs no runAsUser on the app (they share the assigned UID).
	PlatformAssignsUser bool `json:"platformAssignsUser,omitempty"`
	// NativeSidecar says the cluster runs init containers with restartPolicy
	// Always (Kubernetes ≥ 1.29); it makes native the default mode.
	NativeSidecar bool `json:"nativeSidecar"`
	// VolumeSizeLimit bounds the memory emptyDir. Default 16Mi.
	VolumeSizeLimit *resource.Quantity `json:"volumeSizeLimit,omitempty"`

	// FigAPIURI is the default Fig API URI (FIG_API_URI syntax: a
	// comma-separated list). Always allowed.
	FigAPIURI string `json:"figApiUri,omitempty"`
	// FigPollInterval and KeyVaultPollInterval are written into the agent
	// config. Defaults 30s (Fig.Client's) and 60s.
	FigPollInterval      config.Duration `json:"figPollInterval,omitempty"`
	KeyVaultPollInterval config.Duration `json:"keyVaultPollInterval,omitempty"`

	// AllowedFigURIs are URL prefixes a pod may point the agent at, in
	// addition to FigAPIURI. Scheme, host and port must equal the entry's and
	// the path must be the entry's path or below it. With FigAPIURI, they
	// are handed to the agent in AllowedFigAPIURIsEnvVar.
	AllowedFigURIs []string `json:"allowedFigUris,omitempty"`
	// AllowedKeyVaultSuffixes are DNS suffixes of the vaults a pod may name
	// (e.g. vault.azure.net matches orders-kv.vault.azure.net). Empty: none.
	// They are handed to the agent in AllowedKeyVaultSuffixesEnvVar, which
	// also holds the Key Vault references in Fig values to them.
	AllowedKeyVaultSuffixes []string `json:"allowedKeyVaultSuffixes,omitempty"`
	// AllowHTTP accepts http:// Fig URIs (in-cluster Fig without TLS, tests).
	AllowHTTP bool `json:"allowHttp,omitempty"`
	// AllowIPLiterals accepts IP addresses as hosts; a Key Vault host that is
	// an IP must then equal an AllowedKeyVaultSuffixes entry.
	AllowIPLiterals bool `json:"allowIpLiterals,omitempty"`

	// AddWorkloadIdentity makes the webhook add a projected service-account
	// token and AZURE_* env to the agent containers when the pod does not
	// already carry them (clusters without the Azure Workload Identity
	// webhook, e.g. kind).
	AddWorkloadIdentity bool `json:"addWorkloadIdentity,omitempty"`
	// AzureClientID and AzureTenantID are used when adding the identity and
	// the pod has no azure.workload.identity/client-id or tenant-id annotation.
	AzureClientID string `json:"azureClientId,omitempty"`
	AzureTenantID string `json:"azureTenantId,omitempty"`
	// AzureAuthorityHost is AZURE_AUTHORITY_HOST when adding the identity, and
	// the only authority a ConfigMap config may name. Default
	// https://login.microsoftonline.com/.
	AzureAuthorityHost string `json:"azureAuthorityHost,omitempty"`
	// AzureDisableInstanceDiscovery and AzureDisableChallengeResourceVerification
	// are copied into the agent config (air-gapped clouds, the emulators). A
	// ConfigMap config may disable challenge verification only when this is set.
	AzureDisableInstanceDiscovery             bool `json:"azureDisableInstanceDiscovery,omitempty"`
	AzureDisableChallengeResourceVerification bool `json:"azureDisableChallengeResourceVerification,omitempty"`
	// KeyVaultDNSSuffix is copied into the agent config (sovereign clouds).
	KeyVaultDNSSuffix string `json:"keyVaultDnsSuffix,omitempty"`
	// TrustBundle is a ConfigMap, expected in every opted-in namespace, whose
	// key holds extra CAs (PEM) for Fig, Entra ID and Key Vault.
	TrustBundle *ConfigMapRef `json:"trustBundle,omitempty"`

	// RelayURL is the cluster relay's HTTPS base URL (the chart sets it with
	// relay.enabled): sidecars subscribe to it for early wake-ups. "" runs
	// no relay. The relay's certificate must be trusted through TrustBundle
	// unless a public CA issued it.
	RelayURL string `json:"relayUrl,omitempty"`
	// RelayAudience is the audience of the agents' projected tokens for the
	// relay, the one its TokenReview accepts. Required with RelayURL.
	RelayAudience string `json:"relayAudience,omitempty"`
}

// ConfigMapRef names a key of a ConfigMap in the pod's namespace.
type ConfigMapRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// Defaults for Settings, named so docs and the chart can cite them.
const (
	DefaultPort               = int32(9102)
	DefaultRunAsUser          = int64(65532)
	DefaultVolumeSizeLimit    = "16Mi"
	DefaultAzureAuthorityHost = "https://login.microsoftonline.com/"
	DefaultTrustBundleKey     = "ca.crt"
)

// DefaultCommand is the agent binary in the image built by the Dockerfile.
var DefaultCommand = []string{"/fig-injector"}

// DefaultResources are the agent's requests and limits, from measurement
// (test/e2e TestRunInjectedAgent runs the injected agent and logs it): peak
// RSS 21 MiB after the first render of a small config (23.5 MiB with 1,000
// settings and 100 secrets, docs/benchmarks.md), about 0.15 s of CPU from
// start to first render. The memory request covers that peak plus the
// files on the memory volume, which are charged to the agent too; the
// limit leaves room for large renders (SPEC §5 targets 1,000 settings and
// 100 secrets); no CPU limit, so start-up is not throttled.
func DefaultResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("10m"),
			corev1.ResourceMemory: resource.MustParse("48Mi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceMemory: resource.MustParse("96Mi"),
		},
	}
}

// ApplyDefaults fills every field that has a default and is still empty.
func (s *Settings) ApplyDefaults() {
	if s.ImagePullPolicy == "" {
		s.ImagePullPolicy = corev1.PullIfNotPresent
	}
	if len(s.Command) == 0 {
		s.Command = append([]string(nil), DefaultCommand...)
	}
	if s.Resources == nil {
		r := DefaultResources()
		s.Resources = &r
	}
	if s.Port == 0 {
		s.Port = DefaultPort
	}
	if s.RunAsUser == 0 {
		s.RunAsUser = DefaultRunAsUser
	}
	if s.VolumeSizeLimit == nil {
		q := resource.MustParse(DefaultVolumeSizeLimit)
		s.VolumeSizeLimit = &q
	}
	if s.FigPollInterval.IsZero() {
		s.FigPollInterval = config.Dur(config.DefaultFigPollInterval)
	}
	if s.KeyVaultPollInterval.IsZero() {
		s.KeyVaultPollInterval = config.Dur(config.DefaultKeyVaultPollInterval)
	}
	if s.AzureAuthorityHost == "" {
		s.AzureAuthorityHost = DefaultAzureAuthorityHost
	}
	if s.TrustBundle != nil && s.TrustBundle.Key == "" {
		tb := *s.TrustBundle // never write through the caller's pointer: Mutate defaults a copy per request
		tb.Key = DefaultTrustBundleKey
		s.TrustBundle = &tb
	}
}

// Validate checks the settings after ApplyDefaults. The error joins one
// *config.FieldError per problem, each naming the config file key.
func (s *Settings) Validate() error {
	var errs []error
	add := func(path, fix, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: path, Problem: fmt.Sprintf(format, args...), Fix: fix})
	}
	if strings.TrimSpace(s.Image) == "" {
		add("image", "set the agent image, e.g. ghcr.io/fig-injector/fig-injector:v1.0.0", "is required")
	}
	switch s.ImagePullPolicy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		add("imagePullPolicy", "use Always, IfNotPresent or Never", "%q is not a pull policy", s.ImagePullPolicy)
	}
	if s.Port < 1 || s.Port > 65535 {
		add("port", "use a free port such as 9102", "%d is not a port", s.Port)
	}
	if s.RunAsUser <= 0 {
		add("runAsUser", "use a non-root UID such as 65532 (restricted Pod Security)", "%d is not a non-root UID", s.RunAsUser)
	}
	if s.VolumeSizeLimit != nil && s.VolumeSizeLimit.Sign() <= 0 {
		add("volumeSizeLimit", `use a size such as "16Mi"`, "must be positive")
	}
	for _, d := range []struct {
		path string
		d    config.Duration
	}{{"figPollInterval", s.FigPollInterval}, {"keyVaultPollInterval", s.KeyVaultPollInterval}} {
		if d.d.D() < 1e9 {
			add(d.path, `write a duration of at least 1s, e.g. "30s"`, "is not a duration of at least 1s")
		}
	}
	for _, u := range config.SplitURIs(s.FigAPIURI) {
		if err := allowlist.CheckURL(u, s.AllowHTTP, s.AllowIPLiterals); err != nil {
			add("figApiUri", "use the Fig API base URI, e.g. https://fig-api.fig.svc:8080", "%q: %v", u, err)
		}
	}
	for i, u := range s.AllowedFigURIs {
		if err := allowlist.CheckURL(u, s.AllowHTTP, s.AllowIPLiterals); err != nil {
			add(fmt.Sprintf("allowedFigUris[%d]", i), "use a URL prefix such as https://fig-api.fig.svc:8080", "%q: %v", u, err)
		}
	}
	for i, sfx := range s.AllowedKeyVaultSuffixes {
		if err := allowlist.CheckSuffix(sfx, s.AllowIPLiterals); err != nil {
			add(fmt.Sprintf("allowedKeyVaultSuffixes[%d]", i), "use a DNS suffix such as vault.azure.net", "%q: %v", sfx, err)
		}
	}
	if u, err := url.Parse(s.AzureAuthorityHost); err != nil || u.Scheme != "https" || u.Host == "" {
		add("azureAuthorityHost", "use https://login.microsoftonline.com/ or your cloud's authority", "%q is not an https URL", s.AzureAuthorityHost)
	}
	if t := s.TrustBundle; t != nil {
		for _, m := range validation.IsDNS1123Subdomain(t.Name) {
			add("trustBundle.name", "name a ConfigMap that holds the CA bundle", "%q: %s", t.Name, m)
		}
		for _, m := range validation.IsConfigMapKey(t.Key) {
			add("trustBundle.key", "name the ConfigMap key that holds the PEM bundle", "%q: %s", t.Key, m)
		}
	}
	if s.RelayURL != "" || s.RelayAudience != "" {
		if u, err := url.Parse(s.RelayURL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			add("relayUrl", "use the relay Service's URL, e.g. https://fig-injector-relay.fig-injector.svc:8443, or leave relayUrl and relayAudience out to run without a relay", "%q is not an https URL", s.RelayURL)
		}
		if strings.TrimSpace(s.RelayAudience) == "" {
			add("relayAudience", "set the audience the relay's TokenReview accepts (the chart's relay.audience), or leave relayUrl out to run without a relay", "is required with relayUrl")
		}
	}
	return errors.Join(errs...)
}

// defaultMode is native where the cluster supports it, else classic.
func (s *Settings) defaultMode() Mode {
	if s.NativeSidecar {
		return ModeNative
	}
	return ModeClassic
}
