package entra

import (
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/internal/faults"
	"github.com/fig-injector/fig-injector/injector/dev/internal/observe"
)

// Routes name the emulated endpoints, for Requests, Inject and Event.Route.
const (
	RouteDiscovery = "discovery" // GET /{tenant}/discovery/instance
	RouteOpenID    = "openid"    // GET /{tenant}/v2.0/.well-known/openid-configuration
	RouteToken     = "token"     // POST /{tenant}/oauth2/v2.0/token
)

// DefaultExpiresIn is the access-token lifetime when Options.ExpiresIn is
// zero: what Entra typically answers for app tokens (contracts/azure.md §1.6).
const DefaultExpiresIn = 3599 * time.Second

// Options configure a Server. The zero value is usable.
type Options struct {
	// BaseURL, when set (e.g. "https://entra.fig-dev.svc"), is the scheme and
	// host advertised in the OpenID configuration. Leave it empty unless a
	// proxy rewrites Host: each response then uses the scheme and Host of the
	// request it answers, which is what MSAL wants, since it rejects an issuer
	// whose host differs from the authority it called.
	BaseURL string
	// ExpiresIn is the access-token lifetime (expires_in). Zero means
	// DefaultExpiresIn. Mind MSAL's 5-minute margin: tokens that live less
	// than 5 minutes are never cached by the client.
	ExpiresIn time.Duration
	// RefreshIn, when positive, is sent as refresh_in and makes clients
	// refresh proactively after it (azcore still refreshes at most every 30 s).
	RefreshIn time.Duration
	// IssuerClient, when set, makes the token endpoint verify each
	// assertion's signature as Entra ID does for a federated credential:
	// against the keys the issuer publishes (OIDC discovery, then jwks_uri),
	// fetched with this client, which must trust the issuer's TLS certificate
	// (in a cluster: the kube-root-ca.crt bundle). Nil checks the claims only,
	// which dev's own minted (HS256, published-key) assertions need.
	IssuerClient *http.Client
	// Now is the clock for assertion checks and token expiry; nil means time.Now.
	Now func() time.Time
	// Logger receives one line per request (never an assertion or a token);
	// nil discards.
	Logger *slog.Logger
	// Observe, when set, is called once per request after the response was
	// written. It must not block for long; it runs on the request goroutine.
	Observe func(Event)
}

// Server is the Entra ID emulator, an http.Handler. It is safe for
// concurrent use; its admin methods may be called while it serves.
type Server struct {
	opts Options
	now  func() time.Time
	log  *slog.Logger

	mu     sync.Mutex
	creds  []FederatedCredential
	tokens map[string]grant
	faults faults.Queue[Fault]
	keys   *issuerKeys // nil unless Options.IssuerClient is set
	counts observe.Counter
}

// New returns an emulator with no federated credentials registered.
func New(opts Options) *Server {
	s := &Server{
		opts:   opts,
		now:    opts.Now,
		log:    opts.Logger,
		tokens: map[string]grant{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.IssuerClient != nil {
		s.keys = &issuerKeys{client: opts.IssuerClient}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.opts.ExpiresIn <= 0 {
		s.opts.ExpiresIn = DefaultExpiresIn
	}
	s.opts.BaseURL = strings.TrimRight(s.opts.BaseURL, "/")
	return s
}

// tenantPattern is what azidentity accepts as a tenant ID.
var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)

// ServeHTTP routes the three endpoints; anything else is a 404 in Entra's
// error format.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	route, method := routeOf(parts)
	ev := &Event{Route: route, Method: r.Method}
	if len(parts) > 0 {
		ev.Tenant = parts[0]
	}
	sw := observe.NewStatusWriter(w)
	defer func() { s.finish(r.Context(), ev, sw.Status(), start) }()

	switch {
	case route == "":
		writeError(sw, r, ev, s.now(), errNotFound(r.URL.Path))
		return
	case r.Method != method:
		writeError(sw, r, ev, s.now(), errMethod(method, r.Method))
		return
	case !tenantPattern.MatchString(ev.Tenant):
		writeError(sw, r, ev, s.now(), errUnknownTenant(ev.Tenant))
		return
	}
	s.counts.Add(route)
	if f, ok := s.faults.Take(route); ok {
		ev.Fault = true
		if done := s.applyFault(sw, r, ev, f); done {
			return
		}
	}
	switch route {
	case RouteDiscovery:
		s.serveDiscovery(sw, r, ev)
	case RouteOpenID:
		s.serveOpenID(sw, r, ev)
	case RouteToken:
		s.serveToken(sw, r, ev)
	}
}

// routeOf maps path segments to a route and the one method it accepts.
func routeOf(p []string) (route, method string) {
	switch {
	case len(p) == 3 && p[1] == "discovery" && p[2] == "instance":
		return RouteDiscovery, http.MethodGet
	case len(p) == 4 && p[1] == "v2.0" && p[2] == ".well-known" && p[3] == "openid-configuration":
		return RouteOpenID, http.MethodGet
	case len(p) == 4 && p[1] == "oauth2" && p[2] == "v2.0" && p[3] == "token":
		return RouteToken, http.MethodPost
	}
	return "", ""
}

// Requests returns how many requests reached route (including ones answered
// by an injected fault), so tests can assert exact call counts.
func (s *Server) Requests(route string) int {
	return s.counts.Get(route)
}

// baseURL is the scheme and host the emulator calls itself by for r.
func (s *Server) baseURL(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
