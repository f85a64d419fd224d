package keyvault

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/internal/faults"
	"github.com/fig-injector/fig-injector/injector/dev/internal/observe"
)

// Routes name the emulated operations, for Requests, Inject and Event.Route.
const (
	RouteGet      = "get"      // GET /secrets/{name}/ and /secrets/{name}/{version}
	RouteList     = "list"     // GET /secrets
	RouteVersions = "versions" // GET /secrets/{name}/versions
)

// Defaults for Options.
const (
	DefaultResource  = "https://vault.azure.net"
	DefaultAuthority = "https://login.windows.net" // what the real service names in its challenge
	DefaultLocation  = "local"
	DefaultPageSize  = 25 // the service's page size (and maximum maxresults)
)

// Options configure a Server.
type Options struct {
	// Name is the vault name (3–24 letters, digits and hyphens); it appears
	// in error messages as the real service puts it there. Required.
	Name string
	// TenantID is the vault's tenant: named in the 401 challenge, and
	// required of access tokens. Required.
	TenantID string
	// Validator checks bearer tokens. Nil accepts any non-empty bearer token
	// (for clients that bring their own tokens); say so in dev output.
	Validator TokenValidator
	// Resource is the challenge's resource and the audience tokens must have;
	// default DefaultResource.
	Resource string
	// Authority is the scheme and host of the challenge's authorization URL
	// (the SDK reads only the tenant from it); default DefaultAuthority.
	Authority string
	// Location is the region named in messages and x-ms-keyvault-region.
	Location string
	// Now is the clock for secret timestamps; nil means time.Now.
	Now func() time.Time
	// PageSize is the number of items per list page when the request names
	// no maxresults; default DefaultPageSize.
	PageSize int
	// RecoverableDays is reported in attributes; default 90.
	RecoverableDays int
	// Logger receives one line per request (never a value or a token); nil
	// discards.
	Logger *slog.Logger
	// Observe, when set, is called once per request after the response was
	// written, on the request goroutine.
	Observe func(Event)
}

// Server is one emulated vault, an http.Handler. It is safe for concurrent
// use; admin methods may be called while it serves.
type Server struct {
	opts Options
	now  func() time.Time
	log  *slog.Logger

	mu         sync.Mutex
	secrets    map[string]*secretEntry // by lower-case name
	denyList   bool
	denied     map[string]bool // lower-case secret names
	faults     faults.Queue[Fault]
	counts     observe.Counter
	challenges int
	observers  []func(Event) // AddObserver's; Options.Observe is separate
}

var (
	vaultNamePattern  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$`)
	tenantPattern     = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)
	secretNamePattern = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)
)

// New returns an empty vault.
func New(opts Options) (*Server, error) {
	var errs []error
	if !vaultNamePattern.MatchString(opts.Name) {
		errs = append(errs, fmt.Errorf("vault name %q: want 3-24 letters, digits and hyphens, starting with a letter", opts.Name))
	}
	if !tenantPattern.MatchString(opts.TenantID) {
		errs = append(errs, fmt.Errorf("tenant id %q: want letters, digits, dots and hyphens", opts.TenantID))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("keyvault emulator: %w", err)
	}
	s := &Server{
		opts:    opts,
		now:     opts.Now,
		log:     opts.Logger,
		secrets: map[string]*secretEntry{},
		denied:  map[string]bool{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.opts.Resource == "" {
		s.opts.Resource = DefaultResource
	}
	s.opts.Authority = strings.TrimRight(s.opts.Authority, "/")
	if s.opts.Authority == "" {
		s.opts.Authority = DefaultAuthority
	}
	if s.opts.Location == "" {
		s.opts.Location = DefaultLocation
	}
	if s.opts.PageSize <= 0 {
		s.opts.PageSize = DefaultPageSize
	}
	if s.opts.RecoverableDays <= 0 {
		s.opts.RecoverableDays = 90
	}
	return s, nil
}

// request is one parsed request path.
type request struct {
	route   string
	name    string // secret name as sent ("" for list)
	version string // "" for latest
}

// parsePath maps a path to a route; ok is false for paths the vault does
// not serve.
func parsePath(path string) (request, bool) {
	p := strings.Split(strings.Trim(path, "/"), "/")
	if p[0] != "secrets" {
		return request{}, false
	}
	switch {
	case len(p) == 1:
		return request{route: RouteList}, true
	case len(p) == 2:
		return request{route: RouteGet, name: p[1]}, true
	case len(p) == 3 && p[2] == "versions":
		return request{route: RouteVersions, name: p[1]}, true
	case len(p) == 3:
		return request{route: RouteGet, name: p[1], version: p[2]}, true
	}
	return request{}, false
}

// ServeHTTP checks, in the service's order, the path and api-version, then
// the bearer token (401 with the challenge), then counts the request, applies
// any injected fault and access denial, and answers the operation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	sw := observe.NewStatusWriter(w)
	req, known := parsePath(r.URL.Path)
	ev := &Event{Route: req.route, Method: r.Method, Secret: req.name, Version: req.version}
	defer func() { s.finish(r.Context(), ev, sw.Status(), start) }()

	switch {
	case !known:
		s.writeError(sw, ev, errNoRoute(r.URL.Path))
		return
	case r.Method != http.MethodGet:
		s.writeError(sw, ev, errMethod(r.Method))
		return
	case r.URL.Query().Get("api-version") == "":
		s.writeError(sw, ev, errNoAPIVersion())
		return
	case req.name != "" && !secretNamePattern.MatchString(req.name):
		s.writeError(sw, ev, errBadName(req.name))
		return
	}
	token, ok := s.authenticate(sw, r, ev)
	if !ok {
		return
	}
	s.counts.Add(req.route)
	if f, ok := s.faults.Take(req.route); ok {
		ev.Fault = true
		if done := s.applyFault(sw, r, ev, f); done {
			return
		}
	}
	if e := s.denial(req, token); e != nil {
		s.writeError(sw, ev, *e)
		return
	}
	switch req.route {
	case RouteGet:
		s.serveGet(sw, r, ev, req)
	case RouteList:
		s.serveList(sw, r, ev)
	case RouteVersions:
		s.serveVersions(sw, r, ev, req)
	}
}

// Requests returns how many authenticated requests reached route (including
// ones answered by an injected fault or a denial). Challenge round trips are
// not counted here, so a test can assert exactly "3 list calls for 3 pages";
// see Challenges for those.
func (s *Server) Requests(route string) int {
	return s.counts.Get(route)
}

// Challenges returns how many requests were answered 401 (no token or an
// invalid one).
func (s *Server) Challenges() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.challenges
}

// origin is the scheme and host the client used, for ids and nextLinks.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
