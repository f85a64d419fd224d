package fig

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
	"github.com/fig-injector/fig-injector/injector/transport"
)

// Defaults for Options.
const (
	// defaultFigVersion is sent as FigVersion when the caller gives none.
	// Fig.Client sends its own assembly file version there
	// (VersionProvider.GetFigVersion); fig-injector is not Fig.Client, so it
	// names itself, and Fig's Clients page and version report show which
	// clients run through it.
	defaultFigVersion = "fig-injector"
	// DefaultClientVersion is sent as ClientVersion and ApplicationVersion
	// when the caller gives none.
	DefaultClientVersion = "1.0.0.0"
	// defaultTimeout bounds each request: Fig.Client's default without an
	// offline cache (ValidatedHttpClientFactory.cs), which fig-injector
	// never keeps. A Fig that reads Key Vault while answering is slow.
	defaultTimeout = 60 * time.Second
)

// Size limits on response bodies: generous for settings, small for the rest.
// Options.MaxResponseBytes lowers both to what the agent's memory allows.
const (
	maxSettingsBody = 64 << 20
	maxSmallBody    = 1 << 20
)

// Options configure a Client.
type Options struct {
	// URIs are the Fig API base URIs (FIG_API_URI split on commas). With
	// more than one, New probes GET {uri}/_health in order and keeps the
	// first that answers 2xx, else the first, for the Client's lifetime.
	URIs []string
	// ClientName is the Fig client name (required).
	ClientName string
	// Instance is the Fig instance; empty or whitespace means none.
	Instance string
	// Secret returns the client secret. It is called for every request, so a
	// rotated secret file is picked up without a restart. An error that is a
	// *source.Error is passed on unchanged.
	Secret func(ctx context.Context) (secret.Value, error)
	// HTTPClient sends the requests; nil means a client with
	// http.DefaultTransport's settings. Its Timeout, if any, also applies.
	HTTPClient *http.Client
	// Hostname is sent as Fig_Hostname; default: MachineName().
	Hostname string
	// ClientVersion is sent as the registration's ClientVersion and as the
	// status's ApplicationVersion; default DefaultClientVersion.
	ClientVersion string
	// FigVersion is sent as the status's FigVersion; default "fig-injector".
	FigVersion string
	// Timeout bounds each request; default 60 s, Fig.Client's.
	Timeout time.Duration
	// Logger receives debug lines per request (method, path, status,
	// duration; never headers or bodies); nil discards.
	Logger *slog.Logger
	// MaxResponseBytes bounds every response body, below the built-in
	// limits (64 MiB for settings, 1 MiB for the rest): the agent derives
	// it from its memory limit, since decoding a settings answer takes
	// several times its size. Zero keeps the built-in limits.
	MaxResponseBytes int64
}

// Client talks to one Fig API as one Fig client (name + instance). It is
// safe for concurrent use.
type Client struct {
	origin        *url.URL // scheme://host[:port] of the chosen URI
	chosen        string   // the chosen URI as configured
	name          string
	instance      string
	secret        func(ctx context.Context) (secret.Value, error)
	http          *http.Client
	hostname      string
	clientVersion string
	figVersion    string
	timeout       time.Duration
	maxBody       int64 // Options.MaxResponseBytes, or maxSettingsBody
	log           *slog.Logger
	now           func() time.Time

	mu         sync.Mutex
	caps       *capabilities // cached after the first successful GET /capabilities
	runSession string        // changed by NewRunSession
	started    time.Time     // when the run session began
}

// New checks the options, picks the API URI (probing /_health when several
// are given) and returns a Client with a fresh run session.
func New(ctx context.Context, opts Options) (*Client, error) {
	if err := validateClientName(opts.ClientName); err != nil {
		return nil, err
	}
	if opts.Secret == nil {
		return nil, errors.New("fig: Options.Secret is nil; the client secret source must be configured (fig.clientSecret)")
	}
	if len(opts.URIs) == 0 {
		return nil, errors.New("fig: no Fig API URI; set fig.apiUri or FIG_API_URI (e.g. https://fig-api.fig.svc:8080)")
	}
	uris := make([]*url.URL, 0, len(opts.URIs))
	for _, raw := range opts.URIs {
		raw = strings.TrimSpace(raw)
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("fig: Fig API URI %q is not an absolute http(s) URI; use e.g. https://fig-api.fig.svc:8080", raw)
		}
		uris = append(uris, u)
	}
	c := &Client{
		name:          opts.ClientName,
		instance:      opts.Instance,
		secret:        opts.Secret,
		http:          opts.HTTPClient,
		hostname:      opts.Hostname,
		clientVersion: opts.ClientVersion,
		figVersion:    opts.FigVersion,
		timeout:       opts.Timeout,
		maxBody:       opts.MaxResponseBytes,
		log:           opts.Logger,
		runSession:    uuid.NewString(),
		now:           time.Now,
	}
	if strings.TrimSpace(c.instance) == "" {
		c.instance = "" // InstanceNormalization: whitespace means none
	}
	if c.http == nil {
		c.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	// Go, like .NET, forwards custom headers on redirects, and the client
	// secret travels in one: only same-origin redirects are followed.
	c.http = transport.SameOriginRedirects(c.http)
	if c.hostname == "" {
		c.hostname = MachineName()
	}
	if c.clientVersion == "" {
		c.clientVersion = DefaultClientVersion
	}
	if c.figVersion == "" {
		c.figVersion = defaultFigVersion
	}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = maxSettingsBody
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.started = c.now().UTC()

	chosen := uris[0]
	if len(uris) > 1 {
		chosen = c.probe(ctx, uris)
	}
	c.chosen = chosen.String()
	c.origin = &url.URL{Scheme: chosen.Scheme, Host: chosen.Host}
	if p := strings.Trim(chosen.Path, "/"); p != "" {
		c.log.Warn("the Fig API URI has a path; Fig.Client drops it for every call but the health probe, and so does fig-injector",
			"uri", c.chosen, "requests_go_to", c.origin.String())
	}
	return c, nil
}

// probe returns the first URI whose _health answers 2xx, else the first.
// Like Fig.Client, it resolves "_health" relative to the URI as given, so
// https://h/fig/ probes https://h/fig/_health and https://h/fig probes
// https://h/_health.
func (c *Client) probe(ctx context.Context, uris []*url.URL) *url.URL {
	for _, u := range uris {
		target := u.ResolveReference(&url.URL{Path: "_health"})
		ok := c.probeOne(ctx, target)
		c.log.Debug("probed Fig API URI", "uri", u.String(), "healthy", ok)
		if ok {
			return u
		}
		if ctx.Err() != nil {
			break
		}
	}
	c.log.Warn("no Fig API URI answered its health probe; using the first", "uri", uris[0].String())
	return uris[0]
}

func (c *Client) probeOne(ctx context.Context, target *url.URL) bool {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return false
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxSmallBody))
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

// RunSessionID is this Client's run session: one random UUID (lower-case,
// hyphenated) sent with every settings fetch and status.
func (c *Client) RunSessionID() string {
	id, _ := c.session()
	return id
}

// NewRunSession starts a new run session, as a restarted Fig.Client process
// does: a new RunSessionId, and a start time (the default StartTime and
// first LastSettingUpdate) of now. Fig ends a restart request only when a
// new session reports (StatusService.cs keeps RestartRequested on the old
// session).
func (c *Client) NewRunSession() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runSession = uuid.NewString()
	c.started = c.now().UTC()
}

// session returns the run session and when it began.
func (c *Client) session() (string, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runSession, c.started
}

// BaseURL is where requests go: the chosen URI's scheme://host[:port].
func (c *Client) BaseURL() string { return c.origin.String() }

// ClientName is the Fig client name.
func (c *Client) ClientName() string { return c.name }

// Instance is the Fig instance ("" for none).
func (c *Client) Instance() string { return c.instance }

// escapedName is the client name as it appears in paths.
func (c *Client) escapedName() string { return dotnet.EscapeDataString(c.name) }

// instanceQuery is "instance=…" or "" (Fig.Client adds it only when set).
func (c *Client) instanceQuery(instance string) string {
	if instance == "" {
		return ""
	}
	return "instance=" + dotnet.EscapeDataString(instance)
}

// request is one call to the API.
type request struct {
	method string
	path   string // escaped, absolute
	query  string // without '?'
	ep     endpoint
	// secretHeader is the spelling of the secret header, "" for none.
	secretHeader string
	// secret, when set, is the secret already read for this call.
	secret string
	// hostname adds Fig_Hostname.
	hostname bool
	body     []byte
	gzip     bool
	maxBody  int64
}

// op names a request in errors: method and path, no query.
func (r request) op() string { return r.method + " " + r.path }

type response struct {
	status int
	header http.Header
	body   []byte
}

// send performs r. It returns an error (a *source.Error) only when no HTTP
// answer arrived; non-2xx answers are returned for the caller to judge.
// secretText is the secret sent, so that error messages can blank it.
func (c *Client) send(ctx context.Context, r request) (resp *response, secretText string, err error) {
	if r.secretHeader != "" && r.secret != "" {
		secretText = r.secret
	} else if r.secretHeader != "" {
		secretText, err = c.readSecret(ctx, r)
		if err != nil {
			return nil, "", err
		}
	}
	target := c.origin.String() + r.path
	if r.query != "" {
		target += "?" + r.query
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		payload := r.body
		if r.gzip {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			_, _ = zw.Write(payload)
			_ = zw.Close()
			payload = buf.Bytes()
		}
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, "", &source.Error{Source: sourceName, Op: r.op(), Err: fmt.Errorf("build request: %w", err),
			Fix: "check the Fig API URI and client name"}
	}
	// Assigning the map directly keeps the header names' case on the wire
	// (HTTP/1.1), exactly as Fig.Client spells them.
	if r.secretHeader != "" {
		req.Header[r.secretHeader] = []string{secretText}
	}
	if r.hostname {
		req.Header["Fig_Hostname"] = []string{c.hostname}
	}
	if r.body != nil {
		req.Header["Content-Type"] = []string{"application/json; charset=utf-8"}
		if r.gzip {
			req.Header["Content-Encoding"] = []string{"gzip"}
		}
	}
	req.Header["User-Agent"] = []string{"fig-injector"}

	start := time.Now()
	res, err := c.http.Do(req)
	if err != nil {
		return nil, secretText, c.transportError(parent, r, err)
	}
	defer res.Body.Close()
	limit := r.maxBody
	if limit == 0 {
		limit = maxSmallBody
	}
	limit = min(limit, c.maxBody)
	data, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	var tooLarge *transport.TooLargeError // the transport's own bound
	if err != nil && !errors.As(err, &tooLarge) {
		return nil, secretText, c.transportError(parent, r, err)
	}
	if tooLarge != nil || int64(len(data)) > limit {
		return nil, secretText, &source.Error{Source: sourceName, Op: r.op(), StatusCode: res.StatusCode,
			Err: fmt.Errorf("the response is too large: more than %d bytes (%.1f MiB), the limit for this agent", limit, float64(limit)/(1<<20)),
			Fix: "raise the agent container's memory limit, which the limit follows (docs/operations.md, Size limits), or reduce the client's settings; " +
				"if the API URI does not point at the Fig API, correct it"}
	}
	c.log.Debug("fig request", "method", r.method, "path", r.path, "status", res.StatusCode,
		"duration", time.Since(start).Round(time.Millisecond).String())
	return &response{status: res.StatusCode, header: res.Header, body: data}, secretText, nil
}

// readSecret gets the secret for one request and checks it can be sent.
func (c *Client) readSecret(ctx context.Context, r request) (string, error) {
	v, err := c.secret(ctx)
	if err != nil {
		var se *source.Error
		if errors.As(err, &se) {
			return "", err
		}
		return "", &source.Error{Source: sourceName, Op: r.op(), Err: fmt.Errorf("read the client secret: %w", err),
			Fix: "check fig.clientSecret (the file, environment variable or Key Vault secret it names)"}
	}
	s := v.Reveal()
	if strings.TrimSpace(s) == "" {
		return "", &source.Error{Source: sourceName, Op: r.op(), Err: fmt.Errorf("%w: the client secret is empty", errInvalidSecret),
			Fix: "put the client secret in the place fig.clientSecret names (for a file, its first line)"}
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", &source.Error{Source: sourceName, Op: r.op(), Err: fmt.Errorf("%w: the client secret contains a line break or control character", errInvalidSecret),
			Fix: "store the secret alone on the first line, without trailing newline characters"}
	}
	return s, nil
}

// transportError classifies a failure to get an answer; parent is the
// caller's context, whose end is not worth a retry (our own per-request
// timeout is).
func (c *Client) transportError(parent context.Context, r request, err error) error {
	se := &source.Error{Source: sourceName, Op: r.op(), Temporary: true}
	var ue *url.Error
	cause := err
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case parent.Err() != nil:
		se.Temporary = false
		se.Err = fmt.Errorf("request to the Fig API at %s abandoned: %w", c.origin.Host, parent.Err())
		se.Fix = "none needed when the agent is stopping; otherwise allow more time (initTimeout)"
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		se.Err = fmt.Errorf("no answer from the Fig API at %s within %s: %w", c.origin.Host, c.timeout, cause)
		se.Fix = "check that the Fig API is up and reachable from the pod (DNS, network policies, proxies); fig-injector retries"
	case errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr):
		se.Err = fmt.Errorf("the Fig API's TLS certificate at %s is not trusted: %w", c.origin.Host, cause)
		se.Fix = "add the CA that signed the Fig API's certificate with tls.caFile, or use the host name the certificate names"
	default:
		se.Err = fmt.Errorf("cannot reach the Fig API at %s: %w", c.origin.Host, cause)
		se.Fix = "check the API URI (fig.apiUri or FIG_API_URI), DNS, network policies and HTTPS_PROXY/NO_PROXY; fig-injector retries"
	}
	return se
}
