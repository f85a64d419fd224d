package keyvault

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/fig-injector/fig-injector/injector/azure"
	"github.com/fig-injector/fig-injector/injector/rules"
)

// DefaultConcurrency bounds the requests one Vault has in flight. Key Vault
// allows 4,000 GETs per 10 s per vault, shared by every pod of every app
// using it; 8 keeps a 100-secret start-up quick without bursting.
const DefaultConcurrency = 8

// VaultOptions configure NewVault.
type VaultOptions struct {
	// Name is the vault name that VaultName= references use to reach this
	// vault (see Parser.Vaults); default the first label of the URL's host.
	Name string
	// HTTPClient sends the requests (the transport package's client); nil
	// means the SDK default.
	HTTPClient *http.Client
	// DisableChallengeResourceVerification lets the SDK send tokens to a
	// vault outside the Key Vault DNS suffixes (the emulators). Never set it
	// for real vaults: the check keeps a token from going to a look-alike host.
	DisableChallengeResourceVerification bool
	// Concurrency bounds the requests in flight to this vault, over all
	// calls of Fetch and Poll together; default DefaultConcurrency.
	Concurrency int
	// ClientID is the application (client) ID of cred's identity
	// (AZURE_CLIENT_ID). A 401 or 403's fix names it, so the message says
	// which identity to grant even where the service's own does not.
	ClientID string
	// Logger receives what an operator should know (a forbidden list, once);
	// never a value. Nil discards.
	Logger *slog.Logger
	// Now is the clock that decides whether exp and nbf have passed; nil
	// means time.Now.
	Now func() time.Time
}

// Vault reads one Key Vault with the process's credential. Create one per
// vault URL for the life of the process: it owns the vault's azsecrets
// client, whose challenge and token state would otherwise be redone. A Vault
// is safe for concurrent use.
type Vault struct {
	url    string
	name   string
	source string // "keyvault <url>", the source.Error Source
	client *azsecrets.Client
	sem    chan struct{}
	logger *slog.Logger
	now    func() time.Time

	// listForbidden is set, for good, when a list answered 403: the identity
	// is scoped to single secrets, so change detection uses GETs from then on.
	listForbidden atomic.Bool
	// requests counts every HTTP request sent to the vault, retries and
	// challenge round trips included.
	requests atomic.Int64

	// fixAccess is the fix of a 401 or 403, naming the identity.
	fixAccess string
}

// NewVault returns the Vault at vaultURL ("https://<name>.vault.azure.net/",
// a trailing slash optional) using cred, which should be the one credential
// of the process (azure.NewCredential).
func NewVault(vaultURL string, cred azcore.TokenCredential, opts VaultOptions) (*Vault, error) {
	u, err := url.Parse(strings.TrimSpace(vaultURL))
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("key vault %q: not a vault URL; fix: use https://<vault>.vault.azure.net/", vaultURL)
	}
	normalized, err := normalizeVaultURL(u.Host)
	if err != nil {
		return nil, fmt.Errorf("key vault %q: %w; fix: use https://<vault>.vault.azure.net/", vaultURL, err)
	}
	name := opts.Name
	if name == "" {
		name, _, _ = strings.Cut(strings.ToLower(u.Hostname()), ".")
	} else if !rules.VaultName(name) {
		return nil, fmt.Errorf("key vault %s: name %q is not a vault name; fix: use "+rules.VaultNameRule, normalized, name)
	}
	if cred == nil {
		return nil, fmt.Errorf("key vault %s: no credential", normalized)
	}
	concurrency := opts.Concurrency
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	v := &Vault{
		url:    normalized,
		name:   name,
		source: "keyvault " + normalized,
		sem:    make(chan struct{}, concurrency),
		logger: logger.With("vault", normalized),
		now:    now,

		fixAccess: accessFix(opts.ClientID),
	}
	co := azure.ClientOptions(opts.HTTPClient)
	co.PerRetryPolicies = append(co.PerRetryPolicies, countPolicy{total: &v.requests})
	v.client, err = azsecrets.NewClient(normalized, cred, &azsecrets.ClientOptions{
		ClientOptions:                        co,
		DisableChallengeResourceVerification: opts.DisableChallengeResourceVerification,
	})
	if err != nil {
		return nil, fmt.Errorf("key vault %s: %w", normalized, err)
	}
	return v, nil
}

// URL returns the normalised vault URL, "https://host[:port]/".
func (v *Vault) URL() string { return v.url }

// Name returns the name VaultName= references use for this vault.
func (v *Vault) Name() string { return v.name }

// Requests returns how many HTTP requests the vault has been sent so far,
// SDK retries and challenge round trips included. Snapshot.Requests gives
// the count of one Fetch or Poll.
func (v *Vault) Requests() int64 { return v.requests.Load() }

// ListForbidden reports whether the vault refused to list secrets, so that
// change detection uses one GET per secret.
func (v *Vault) ListForbidden() bool { return v.listForbidden.Load() }
