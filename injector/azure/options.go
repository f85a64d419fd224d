package azure

import (
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Retry tuning for a sidecar. The agent owns backoff (exponential,
// jittered, honouring Retry-After up to a cap: injector/agent/limits.go);
// the SDK's own retries are kept to a quick second chance for blips, so a
// failing vault is reported to the agent within seconds instead of being
// hidden behind the SDK's defaults (3 retries, up to 60 s each).
const (
	// MaxRetries is how often the SDK retries 408, 429, 500, 502, 503, 504
	// and transport errors.
	MaxRetries = 2
	// RetryDelay is the base of the SDK's exponential delay (≈0.5 s, 1.5 s).
	RetryDelay = 500 * time.Millisecond
	// MaxRetryDelay caps the SDK's delays. A server asking for a longer wait
	// (Retry-After above it, e.g. a 429 with Retry-After: 120) is not retried
	// by the SDK at all: the response comes back at once as an
	// *azcore.ResponseError whose RawResponse keeps the Retry-After header,
	// which the keyvault package turns into source.Error.RetryAfter.
	MaxRetryDelay = 10 * time.Second
)

// ApplicationID is prepended to the SDK's User-Agent, so service-side logs
// show which product made the call.
const ApplicationID = "fig-injector"

// ClientOptions returns the azcore options shared by the credential and every
// Key Vault client: hc as the transport (nil keeps the SDK default) and the
// sidecar retry tuning above.
func ClientOptions(hc *http.Client) azcore.ClientOptions {
	o := azcore.ClientOptions{
		Retry:     policy.RetryOptions{MaxRetries: MaxRetries, RetryDelay: RetryDelay, MaxRetryDelay: MaxRetryDelay},
		Telemetry: policy.TelemetryOptions{ApplicationID: ApplicationID},
	}
	if hc != nil {
		o.Transport = hc
	}
	return o
}
