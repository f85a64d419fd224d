package inject

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/config"
)

// Mode is how the agent runs in the pod.
type Mode string

// The modes of SPEC §2 and §3.
const (
	// ModeNative is an init container with restartPolicy Always whose startup
	// probe passes after the first complete render: app containers start with
	// the file present, and the agent keeps it current (Kubernetes ≥ 1.29).
	ModeNative Mode = "native"
	// ModeClassic is an init container that renders once and leaves its state
	// on the shared volume, plus a sidecar that picks the state up and keeps
	// the file current.
	ModeClassic Mode = "classic"
	// ModeInitOnly renders once before the app starts; nothing keeps it current.
	ModeInitOnly Mode = "init-only"
)

var modes = []Mode{ModeNative, ModeClassic, ModeInitOnly}

// Request is everything a pod asks for, parsed once from its annotations.
// Defaults are not applied here (Mutate applies them from Settings) and are
// never written back into the pod.
type Request struct {
	// ClientName and Instance identify the Fig client.
	ClientName string
	Instance   string
	// FigAPIURIs overrides Settings.FigAPIURI when non-empty.
	FigAPIURIs []string
	// ClientSecret says where the Fig client secret comes from.
	ClientSecret ClientSecretRef
	// KeyVault is the one vault named by annotations, nil when none.
	KeyVault *config.KeyVault
	// Format and OutputPath describe the output; "" means the default.
	Format     string
	OutputPath string
	// Template is the template ConfigMap, nil when none.
	Template *ConfigMapRef
	// ConfigMap names a whole agent config; Config is its parsed content,
	// set by the caller with LoadConfig (ParseRequest does no I/O).
	ConfigMap *ConfigMapRef
	Config    *config.Config
	// Mode is "" for the cluster's default.
	Mode Mode
	// Notify is the notification after a changed file.
	Notify config.Notify
	// Containers are the app containers that get the mount; nil means every
	// regular app container.
	Containers []string
	// AppVersion is the application version for Fig ("": the image tag).
	AppVersion string
	// AppHealthURL is the app's health endpoint (fig.appHealthUrl).
	AppHealthURL string
	// Restart is the restart action (fig.restart), nil when none.
	Restart *config.Restart
	// OfflineSettings is fig.allowOfflineSettings; nil: the default (true).
	OfflineSettings *bool
	// AzureClientID and AzureTenantID come from the pod's
	// azure.workload.identity/* annotations; used only when Mutate adds the
	// identity itself.
	AzureClientID string
	AzureTenantID string
}

// ClientSecretRef is a Kubernetes Secret key or a Key Vault secret URI.
type ClientSecretRef struct {
	SecretName string // Kubernetes Secret in the pod's namespace
	SecretKey  string
	KeyVault   string // https://<vault>/secrets/<name>[/<version>]
}

// Requested reports whether the pod opted in with the label. Pods reach the
// webhook only through its objectSelector, so this guards against a
// misconfigured selector rather than being the main filter.
func Requested(pod *corev1.Pod) bool {
	return pod.Labels[InjectLabel] == "true"
}

// LoadConfig parses the agent config read from the ConfigMap named by
// ConfigConfigMapAnnotation (strictly, as the agent will). Allowlists are
// checked by Mutate, which knows the Settings.
func (r *Request) LoadConfig(data []byte) error {
	if r.ConfigMap == nil {
		return fmt.Errorf("load config: the pod names no %s", ConfigConfigMapAnnotation)
	}
	cfg, err := config.Parse(data)
	if err != nil {
		return annotationErr(ConfigConfigMapAnnotation, "correct the config in the ConfigMap (docs/configuration.md)",
			"ConfigMap %s key %s: %v", r.ConfigMap.Name, r.ConfigMap.Key, err)
	}
	r.Config = cfg
	return nil
}
