package fig

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/fig-injector/fig-injector/injector/source"
)

// sourceName is source.Error.Source for every error of this package.
const sourceName = "fig"

// Kinds of failure, for errors.Is on any error this package returns. Each is
// carried by an *apiError inside the *source.Error.
var (
	// ErrNotRegistered: GET settings or PUT status answered 404, the client
	// is not registered (Fig.Client registers and retries once).
	ErrNotRegistered = errors.New("client not registered")
	// errUnauthorized: 401, the client secret was rejected.
	errUnauthorized = errors.New("client secret rejected")
	// ErrRegistrationRefused: POST /clients answered 401 with Fig's
	// ErrorType "401" (different secret, registrations disabled).
	// Fig.Client logs this and carries on; so should the caller.
	ErrRegistrationRefused = errors.New("registration refused")
	// errBadRequest: 400, Fig rejected the request's content.
	errBadRequest = errors.New("request rejected")
	// errRateLimited: 429.
	errRateLimited = errors.New("rate limited")
	// errServer: 5xx.
	errServer = errors.New("server error")
	// errUnexpectedStatus: any other non-2xx status.
	errUnexpectedStatus = errors.New("unexpected status")
	// errInvalidSecret: the client secret is missing or, before
	// registration, does not meet Fig's rules.
	errInvalidSecret = errors.New("invalid client secret")
)

// apiError is a non-2xx answer from the Fig API. It carries what Fig's
// error body (ErrorResultDataContract) said, never the raw body.
type apiError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// ErrorType, Message and Reference come from Fig's PascalCase error body;
	// they are empty when the body was not one (Fig.Client recognises it by
	// the text "Reference").
	ErrorType string
	Message   string
	Reference string

	kind error
	text string
}

// Error returns the explanation, including Fig's message when there was one.
func (e *apiError) Error() string { return e.text }

// Unwrap returns the failure kind (ErrNotRegistered, errUnauthorized …).
func (e *apiError) Unwrap() error { return e.kind }

// errorBody is ErrorResultDataContract.
type errorBody struct {
	ErrorType string
	Message   string
	Detail    string
	Reference string
}

// parseErrorBody reads Fig's error body the way Fig.Client does: only a body
// containing "Reference" is one. Newtonsoft matches names case-insensitively,
// and so does encoding/json.
func parseErrorBody(body []byte) (errorBody, bool) {
	var e errorBody
	if !strings.Contains(string(body), "Reference") {
		return e, false
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return errorBody{}, false
	}
	return e, true
}

// cleanMessage makes Fig's message safe to show: one line, bounded, and
// with the client secret blanked should the server ever echo it.
func cleanMessage(msg, secretText string) string {
	if secretText != "" && len(secretText) >= 4 {
		msg = strings.ReplaceAll(msg, secretText, "[REDACTED]")
	}
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, msg)
	msg = strings.TrimSpace(msg)
	if r := []rune(msg); len(r) > 300 {
		msg = string(r[:300]) + "…"
	}
	return msg
}

// endpoint says which call failed, for messages and fixes.
type endpoint int

const (
	epProbe endpoint = iota
	epCapabilities
	epRegister
	epDescription
	epSettings
	epStatus
)

// statusError turns a non-2xx response into a *source.Error whose message
// and fix fit the status and the endpoint.
func (c *Client) statusError(op string, ep endpoint, resp *response, secretText string) error {
	fe, isFig := parseErrorBody(resp.body)
	msg := ""
	if isFig {
		msg = cleanMessage(fe.Message, secretText)
	}
	says := ""
	if msg != "" {
		says = fmt.Sprintf(" (Fig says: %q)", msg)
	}
	ref := ""
	if isFig && fe.Reference != "" {
		ref = " (reference " + cleanMessage(fe.Reference, secretText) + ")"
	}
	ae := &apiError{StatusCode: resp.status, Message: msg}
	if isFig {
		ae.ErrorType = cleanMessage(fe.ErrorType, secretText)
		ae.Reference = cleanMessage(fe.Reference, secretText)
	}
	se := &source.Error{Source: sourceName, Op: op, StatusCode: resp.status, Err: ae, RetryAfter: retryAfter(resp.header, c.now())}
	name := c.name
	switch code := resp.status; {
	case code == http.StatusUnauthorized:
		ae.kind = errUnauthorized
		ae.text = fmt.Sprintf("Fig rejected the client secret for client '%s'%s", name, says)
		se.Fix = "the client secret is wrong: fig-injector reads it from fig.clientSecret (a file, an environment variable or a Key Vault secret; by default FIG_" +
			secretKeyName(name) + "_SECRET) and it must equal the secret the client was first registered with; if an admin changed it in Fig, update that secret"
	case code == http.StatusNotFound && (ep == epSettings || ep == epStatus):
		ae.kind = ErrNotRegistered
		ae.text = fmt.Sprintf("client '%s' is not registered in Fig%s", name, says)
		se.Fix = "register it (fig.register: a settings declaration file), or start the .NET application once so that Fig.Client registers it, or import the client in Fig; " +
			"if no Fig message is quoted, check that the API URI points at the Fig API (Fig must be served at the root of its host)"
	case code == http.StatusNotFound:
		ae.kind = errUnexpectedStatus
		ae.text = "the Fig API has no such endpoint" + says
		se.Fix = "check that the API URI points at the Fig API, served at the root of its host (a path prefix is dropped, as Fig.Client drops it)"
	case code == http.StatusBadRequest:
		ae.kind = errBadRequest
		if msg == "" {
			ae.text = "Fig rejected the request as invalid"
		} else {
			ae.text = fmt.Sprintf("Fig rejected the request: %s", msg)
		}
		switch ep {
		case epRegister, epDescription:
			se.Fix = "correct the settings declaration or the client secret as Fig's message says (secrets need 32+ characters and 10+ distinct ones; every setting needs a description)"
		case epStatus:
			se.Fix = "correct the status sent (custom properties beyond Fig's limits are rejected)"
		default:
			se.Fix = "check the client name and instance"
		}
	case code == http.StatusRequestTimeout:
		ae.kind = errUnexpectedStatus
		se.Temporary = true
		ae.text = "the Fig API timed out the request" + says
		se.Fix = "retry later; if it persists check the Fig API's load and database"
	case code == http.StatusTooManyRequests:
		ae.kind = errRateLimited
		se.Temporary = true
		ae.text = "the Fig API's rate limit was exceeded"
		if se.RetryAfter > 0 {
			ae.text += fmt.Sprintf("; it asks to wait %s", se.RetryAfter)
		}
		se.Fix = "back off as told; if it persists, fewer pods behind one IP should poll Fig, or raise Fig's RateLimiting (500 requests per minute per IP by default)"
	case code >= 500:
		ae.kind = errServer
		se.Temporary = true
		ae.text = fmt.Sprintf("the Fig API failed with HTTP %d%s%s", code, says, ref)
		se.Fix = "check the Fig API's logs" + ref + " and its database; fig-injector keeps the last good values and retries"
	case code >= 300 && code < 400:
		ae.kind = errUnexpectedStatus
		ae.text = fmt.Sprintf("unexpected HTTP status %d: a redirect to another host, port or scheme, which fig-injector does not follow because the client secret would go with it", code)
		se.Fix = "point the API URI straight at the Fig API (the host it redirects to, over https)"
	default:
		ae.kind = errUnexpectedStatus
		ae.text = fmt.Sprintf("unexpected HTTP status %d%s", code, says)
		se.Fix = "check that the API URI points at the Fig API and that no proxy rewrites its answers"
	}
	return se
}

// secretKeyName is Fig's secret key name part: the client name without
// spaces, upper-cased (FIG_{0}_SECRET).
func secretKeyName(name string) string {
	return strings.ToUpper(strings.ReplaceAll(name, " ", ""))
}

// retryAfter reads Retry-After as delay-seconds or an HTTP date, without an
// upper bound (a server asking for 120 s gets 120 s).
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(365*24*time.Hour/time.Second) {
			n = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}
