package figapi

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/internal/faults"
	"github.com/fig-injector/fig-injector/injector/dev/internal/observe"
)

// Routes name the emulated operations, for Inject, Requests and Event.Route.
const (
	RouteHealth       = "health"       // GET /_health
	RouteCapabilities = "capabilities" // GET /capabilities
	RouteAPIVersion   = "apiversion"   // GET /apiversion
	RouteRegister     = "register"     // POST /clients
	RouteDescription  = "description"  // PUT /clients/{name}/description
	RouteSettings     = "settings"     // GET /clients/{name}/settings
	RouteStatus       = "status"       // PUT /statuses/{name}
	RouteDev          = "dev"          // /_dev/… (Options.DevAdmin)
)

// Defaults for Options.
const (
	DefaultAPIVersion = "4.0.0.0"
)

// DefaultCapabilities are the features Fig 4 advertises with its default
// configuration (Fixture A).
var DefaultCapabilities = []string{"deferredDescriptionRegistration", "requestCompression", "clientSettingUpdates", "migrateFromClientTransforms"}

// Options configure a Server. The zero Options is a Fig 4.x server with
// Fig's default configuration.
type Options struct {
	// Logger receives one line per request (route, client, status; never a
	// value or a secret). Nil discards.
	Logger *slog.Logger
	// Now is the clock for change stamps, registrations and run sessions;
	// nil means time.Now.
	Now func() time.Time
	// Fig3 writes null members as "value": null, like Fig 3.x, which did
	// not set NullValueHandling.Ignore; a client must accept both forms.
	Fig3 bool
	// NoCapabilities answers GET /capabilities with 404, as a server older
	// than the endpoint does (the client then assumes no features).
	NoCapabilities bool
	// Capabilities replaces DefaultCapabilities when not nil.
	Capabilities []string
	// APIVersion is reported by /capabilities and /apiversion; default
	// DefaultAPIVersion.
	APIVersion string
	// PollIntervalOverride, when set, is the poll interval every status
	// reply carries (Fig's configuration PollIntervalOverride).
	PollIntervalOverride *float64
	// AllowNewRegistrations, AllowUpdatedRegistrations, AllowOfflineSettings
	// and AllowClientOverrides are Fig's configuration toggles; nil means
	// true, Fig's default. Write new(false) to turn one off.
	AllowNewRegistrations     *bool
	AllowUpdatedRegistrations *bool
	AllowOfflineSettings      *bool
	AllowClientOverrides      *bool
	// DevAdmin serves the /_dev/ admin surface (see devhttp.go). It has no
	// authentication: enable it on loopback only.
	DevAdmin bool
	// Observe, when set, is called once per request after the response was
	// written, on the request goroutine.
	Observe func(Event)
	// WebHooks are the web hook receivers configured in Fig (webhooks.go);
	// New panics on an invalid one, SetWebHooks returns the error.
	WebHooks []WebHookClient
	// WebHookHTTPClient sends web hooks (its TLS config must trust the
	// receivers); nil means http.DefaultClient.
	WebHookHTTPClient *http.Client
	// WebHookSent, when set, is called after each delivery attempt, on the
	// sending goroutine.
	WebHookSent func(WebHookResult)
	// SessionCleanupDelay and SessionCleanupInterval time
	// RunSessionCleanup's first pass and the passes after it; zero draws
	// each as Fig's SessionCleanupWorker does (10–59 s, 60–299 s).
	SessionCleanupDelay, SessionCleanupInterval time.Duration
}

// Config is the part of Fig's server configuration that the client
// endpoints read; it can change while the server runs, as it can in Fig's
// web UI.
type Config struct {
	AllowNewRegistrations     bool
	AllowUpdatedRegistrations bool
	AllowOfflineSettings      bool
	AllowClientOverrides      bool
	// ClientOverridesRegex limits which clients may override values at
	// registration; "" allows all.
	ClientOverridesRegex string
	// PollIntervalOverride, when not nil, replaces every run session's
	// interval in status replies.
	PollIntervalOverride *float64
	// SecretStoreDown models Fig's experimental Key Vault option
	// (UseAzureKeyVault) with Key Vault failing: Fig stores secret values
	// only in Key Vault (SecretStoreHandler.SaveSecrets clears them in its
	// database), and AzureKeyVaultSecretStore.GetSecrets logs the failure
	// and returns no secrets, so HydrateSecrets leaves every secret setting
	// null and GET settings answers 200 with "value": null for each
	// (src/api/Fig.Api/Secrets/SecretStoreHandler.cs,
	// AzureKeyVaultSecretStore.cs).
	SecretStoreDown bool
}

// Server is the emulated Fig API, an http.Handler. It is safe for
// concurrent use; admin methods may be called while it serves.
type Server struct {
	opts Options
	now  func() time.Time
	log  *slog.Logger

	mu                sync.Mutex
	cfg               Config
	clients           map[string]*clientGroup
	registrations     map[string]*Registration // last POST /clients per name
	changes           []change
	lastStamp         time.Time
	lastSettingChange time.Time // zero: DateTime.MinValue
	faults            faults.Queue[Fault]
	counts            observe.Counter
	webHooks          []compiledClient
	hookHTTP          *http.Client
	hookQueue         []pendingHook
	hookWorker        bool // a sendHooks goroutine runs
}

// New returns an empty server.
func New(opts Options) *Server {
	s := &Server{
		opts:          opts,
		now:           opts.Now,
		log:           opts.Logger,
		clients:       map[string]*clientGroup{},
		registrations: map[string]*Registration{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.hookHTTP = opts.WebHookHTTPClient
	if s.hookHTTP == nil {
		s.hookHTTP = http.DefaultClient
	}
	if err := s.SetWebHooks(opts.WebHooks); err != nil {
		panic("figapi.New: " + err.Error())
	}
	if s.opts.APIVersion == "" {
		s.opts.APIVersion = DefaultAPIVersion
	}
	if s.opts.Capabilities == nil {
		s.opts.Capabilities = DefaultCapabilities
	}
	orTrue := func(b *bool) bool { return b == nil || *b }
	s.cfg = Config{
		AllowNewRegistrations:     orTrue(opts.AllowNewRegistrations),
		AllowUpdatedRegistrations: orTrue(opts.AllowUpdatedRegistrations),
		AllowOfflineSettings:      orTrue(opts.AllowOfflineSettings),
		AllowClientOverrides:      orTrue(opts.AllowClientOverrides),
		PollIntervalOverride:      copyFloat(opts.PollIntervalOverride),
	}
	return s
}

func copyFloat(f *float64) *float64 {
	if f == nil {
		return nil
	}
	v := *f
	return &v
}

// SetWebHooks replaces the configured web hook receivers, as editing them
// in Fig's web UI does; hooks already queued are still sent.
func (s *Server) SetWebHooks(clients []WebHookClient) error {
	compiled, err := compileWebHooks(clients)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webHooks = compiled
	return nil
}

// Config returns the current server configuration.
func (s *Server) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg
	c.PollIntervalOverride = copyFloat(c.PollIntervalOverride)
	return c
}

// SetConfig replaces the server configuration; later requests see it.
func (s *Server) SetConfig(c Config) {
	c.PollIntervalOverride = copyFloat(c.PollIntervalOverride)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg = c
}

// request is one routed request.
type request struct {
	route  string
	client string // client name from the path, unescaped
	extra  []string
}

// route maps method and path to a route. ASP.NET matches literal segments
// ignoring case and tolerates a trailing slash. allowed lists the methods
// of a path that exists under another method (405), if any.
func route(method, escapedPath string, dev bool) (req request, ok bool, allowed string) {
	p := strings.Split(strings.Trim(escapedPath, "/"), "/")
	seg := make([]string, len(p))
	for i, e := range p {
		u, err := url.PathUnescape(e)
		if err != nil {
			return request{}, false, ""
		}
		seg[i] = u
	}
	is := func(i int, lit string) bool { return strings.EqualFold(seg[i], lit) }
	want := func(m string, r request) (request, bool, string) {
		if method == m {
			return r, true, ""
		}
		return request{}, false, m
	}
	switch {
	case len(seg) == 1 && is(0, "_health"):
		return want(http.MethodGet, request{route: RouteHealth})
	case len(seg) == 1 && is(0, "capabilities"):
		return want(http.MethodGet, request{route: RouteCapabilities})
	case len(seg) == 1 && is(0, "apiversion"):
		return want(http.MethodGet, request{route: RouteAPIVersion})
	case len(seg) == 1 && is(0, "clients"):
		return want(http.MethodPost, request{route: RouteRegister})
	case len(seg) == 3 && is(0, "clients") && is(2, "description") && seg[1] != "":
		return want(http.MethodPut, request{route: RouteDescription, client: seg[1]})
	case len(seg) == 3 && is(0, "clients") && is(2, "settings") && seg[1] != "":
		return want(http.MethodGet, request{route: RouteSettings, client: seg[1]})
	case len(seg) == 2 && is(0, "statuses") && seg[1] != "":
		return want(http.MethodPut, request{route: RouteStatus, client: seg[1]})
	case dev && len(seg) >= 2 && seg[0] == "_dev":
		return request{route: RouteDev, extra: seg[1:]}, true, ""
	}
	return request{}, false, ""
}

// ServeHTTP routes a request, counts it, applies any injected fault, and
// answers it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := observe.NewStatusWriter(w)
	req, ok, allowed := route(r.Method, r.URL.EscapedPath(), s.opts.DevAdmin)
	ev := &Event{Route: req.route, Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: redactHeader(r.Header), Client: req.client}
	defer func() { s.finish(r, ev, sw.Status(), start) }()

	if !ok {
		if allowed != "" {
			sw.Header().Set("Allow", allowed)
			sw.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		sw.WriteHeader(http.StatusNotFound)
		return
	}
	s.counts.Add(req.route)
	if f, ok := s.faults.Take(req.route); ok {
		ev.Fault = true
		if done := s.applyFault(sw, r, f); done {
			return
		}
	}
	switch req.route {
	case RouteHealth:
		s.serveHealth(sw)
	case RouteCapabilities:
		s.serveCapabilities(sw)
	case RouteAPIVersion:
		s.serveAPIVersion(sw)
	case RouteRegister:
		s.serveRegister(sw, r)
	case RouteDescription:
		s.serveDescription(sw, r, req.client)
	case RouteSettings:
		s.serveSettings(sw, r, req.client)
	case RouteStatus:
		s.serveStatus(sw, r, req.client)
	case RouteDev:
		s.serveDev(sw, r, req.extra)
	}
}

// Requests returns how many requests reached route, including ones an
// injected fault answered.
func (s *Server) Requests(route string) int {
	return s.counts.Get(route)
}

// writeJSON writes a 200 with a JSON body, as MVC's Ok(object) does.
func writeJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// instanceParam reads ?instance=, which Fig normalises: whitespace is none.
func instanceParam(r *http.Request) string {
	i := r.URL.Query().Get("instance")
	if strings.TrimSpace(i) == "" {
		return ""
	}
	return i
}
