// Package wire is the relay's subscription protocol, shared by the relay
// (injector/relay/server) and the agent's client (injector/relay/subscribe).
// It imports only the standard library: the agent links it.
//
// Protocol: the subscriber POSTs a Subscription as JSON to SubscribePath
// over HTTPS with "Authorization: Bearer <projected service-account token
// for the relay's audience>". The relay answers 200 with Content-Type
// ContentType and keeps the response open, writing one Event as a JSON
// line per wake-up and a Heartbeat at least every HeartbeatInterval, so a
// subscriber that sees nothing for ReadTimeout knows the connection is dead
// and reconnects. A refusal is a non-200 answer with a one-line text body
// naming the reason (never the token).
//
// Why NDJSON over one HTTP response rather than WebSocket, gRPC or SSE:
// both ends need only net/http (the agent image must stay small and links
// no gRPC or WebSocket library), the subscription travels as a normal POST
// body (SSE is GET-only and would put it in the URL, into access logs), it
// passes HTTP proxies and Service load balancing unchanged, and HTTP/2
// multiplexes it when both ends negotiate it.
package wire

import (
	"net/url"
	"strings"
	"time"
)

// SubscribePath is the route of a subscription.
const SubscribePath = "/v1/subscribe"

// ContentType is the media type of the event stream.
const ContentType = "application/x-ndjson"

// HeartbeatInterval is the longest the relay stays silent on a stream.
const HeartbeatInterval = 15 * time.Second

// ReadTimeout is how long a subscriber waits for any line before it treats
// the connection as dead: two heartbeats and a margin.
const ReadTimeout = 2*HeartbeatInterval + 5*time.Second

// Subscription is what a subscriber asks to hear about: its Fig client (and
// instance) and the vaults it reads. The relay refuses names the pod's own
// annotations do not carry.
type Subscription struct {
	Client   string   `json:"client,omitempty"`
	Instance string   `json:"instance,omitempty"`
	Vaults   []string `json:"vaults,omitempty"` // vault URLs, e.g. https://kv.vault.azure.net/
}

// Event types.
const (
	// TypeHello is the first line of every stream: the subscription was
	// accepted. Vaults lists the vaults the relay will watch for this
	// subscriber; the state of each follows as VaultWatched or
	// VaultUnwatched once known.
	TypeHello = "hello"
	// TypeHeartbeat keeps the connection alive; it carries nothing.
	TypeHeartbeat = "heartbeat"
	// TypeSettingsChanged: Fig reported changed settings (names only) for
	// the subscriber's client; fetch now.
	TypeSettingsChanged = "settingsChanged"
	// TypeSecretsChanged: these secrets of Vault have a new current
	// version (or were added, removed, enabled or disabled); GET them now.
	TypeSecretsChanged = "secretsChanged"
	// TypeVaultWatched: the relay lists Vault every Interval for the whole
	// cluster; the subscriber may pause its own polling of it.
	TypeVaultWatched = "vaultWatched"
	// TypeVaultUnwatched: the relay cannot list Vault (Reason says why,
	// e.g. 403); the subscriber keeps (or resumes) its own polling of it.
	TypeVaultUnwatched = "vaultUnwatched"
)

// Event is one line of the stream. Only the fields of its Type are set.
type Event struct {
	Type     string   `json:"type"`
	Client   string   `json:"client,omitempty"`
	Instance string   `json:"instance,omitempty"`
	Settings []string `json:"settings,omitempty"`
	Vault    string   `json:"vault,omitempty"`
	Secrets  []string `json:"secrets,omitempty"`
	Vaults   []string `json:"vaults,omitempty"`
	// Interval is the relay's list interval, with TypeVaultWatched.
	Interval string `json:"interval,omitempty"`
	// Reason is why a vault is not watched, with TypeVaultUnwatched.
	Reason string `json:"reason,omitempty"`
}

// VaultKey is the canonical form of a vault URL that relay and subscribers
// compare: scheme and lower-case host with a trailing slash, no path
// (https://KV.vault.azure.net/secrets/x → https://kv.vault.azure.net/).
// It returns "" for a URL without an https scheme and a host.
func VaultKey(vaultURL string) string {
	u, err := url.Parse(strings.TrimSpace(vaultURL))
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	return "https://" + strings.ToLower(u.Host) + "/"
}

// OfflinePath is the route of a Fig client's offline copy (issue 14): the
// last good Fig settings of the client, encrypted by the agent with a key
// derived from the client secret (injector/source/fig/offline), so the
// relay holds ciphertext it cannot read. The query names the copy:
// ?client=<Fig client>[&instance=<instance>]; the copy is per client and
// instance. The same Bearer token as a subscription, authorised the same
// way: a pod reaches only the copy of its own client and instance.
//
//   - PUT stores the copy; the body is the Base64 ciphertext
//     (OfflineContentType, at most MaxOfflineCopy bytes). 204.
//   - GET returns it: 200 with the body, 404 when the relay holds none.
//   - DELETE removes it (204, also when there was none): Fig said offline
//     settings are not allowed, or the copy did not decrypt.
//
// A relay without offline copies answers 501 to all three. Refusals are a
// non-2xx answer with a one-line text body naming the reason and the fix.
const OfflinePath = "/v1/offline"

// OfflineContentType is the media type of an offline copy: the Base64 text
// Fig.Client writes into its own offline file.
const OfflineContentType = "text/plain; charset=us-ascii"

// MaxOfflineCopy bounds a copy: a Kubernetes Secret holds at most 1 MiB,
// and the relay keeps some of that for its metadata.
const MaxOfflineCopy = 768 << 10

// OfflineRefresh is how often an agent uploads its copy again although its
// settings did not change: the relay deletes copies not uploaded for its
// retention (clients that are gone), so a running client's copy stays
// while any of its pods runs. The relay's retention must be longer
// (MinOfflineRetention).
const OfflineRefresh = 24 * time.Hour

// MinOfflineRetention is the shortest retention a relay accepts: two
// refreshes, so one missed upload (a relay restart, a failed request)
// loses no running client's copy.
const MinOfflineRetention = 2 * OfflineRefresh
