package keyvault

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/transport"
)

// Fixes, by cause. They are the operator's next step, so they name the role,
// the setting or the Azure object to look at.
const (
	fixAccess   = "grant the pod's identity 'Key Vault Secrets User' on the vault (or get/list permission in its access policy), check AZURE_CLIENT_ID / the federated credential"
	fixNotFound = "create the secret or mark it optional"
	fixAuth     = "check the federated identity credential's issuer/subject (it must match the cluster's service-account issuer and system:serviceaccount:<namespace>:<name>) and AZURE_CLIENT_ID / AZURE_TENANT_ID"
	fixTLS      = "set tls.caFile to the CA that signed the vault's certificate"
	fixNetwork  = "check that the pod can reach the vault (DNS, firewall, private endpoint, HTTPS_PROXY/NO_PROXY)"
	fixNotEntra = "check that the authority host (azure.authorityHost, AZURE_AUTHORITY_HOST) is Entra ID and that no proxy or firewall answers in its place"
	fixTooLarge = "raise the agent container's memory limit, which the limit follows (docs/operations.md, Size limits); Key Vault's own answers are far smaller, so also check that the vault URL reaches Key Vault"
	fixRedirect = "point the vault URL and the authority host at the services themselves, and check that no proxy or firewall rewrites their answers"
	fixThrottle = "reduce the request rate on the vault (longer pollInterval, fewer pods per vault)"
)

// maxMessage bounds a service message copied into an error.
const maxMessage = 300

// serviceError is the sanitised cause of a failed response: status, code and
// the service's own message, never the raw body (azcore's error text embeds
// the whole body, which for a misrouted request could be anything).
type serviceError struct {
	Status  int
	Code    string
	Message string
}

func (e *serviceError) Error() string {
	msg := http.StatusText(e.Status)
	if e.Code != "" {
		msg = e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// classify turns an error from the SDK into a *source.Error (Source is the
// vault, Op the operation), or returns the context's error unchanged when
// ctx ended: cancellation is the caller's decision, not a source failure.
func (v *Vault) classify(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %s: %w", v.source, op, context.Cause(ctx))
	}
	se := &source.Error{Source: v.source, Op: op, Err: err}
	var (
		re  *azcore.ResponseError
		af  *azidentity.AuthenticationFailedError
		tv  *tls.CertificateVerificationError
		ue  *url.Error
		ne  net.Error
		cle *source.Error
		rd  *transport.RedirectError
		tl  *transport.TooLargeError
	)
	switch {
	case errors.As(err, &cle):
		return cle
	case errors.As(err, &rd):
		// Not retried: the answer would be the same redirect.
		se.Err, se.Fix = rd, fixRedirect
	case errors.As(err, &tl):
		se.Err, se.Fix = tl, fixTooLarge
	case errors.As(err, &re):
		se.StatusCode = re.StatusCode
		se.Temporary = temporaryStatus(re.StatusCode)
		se.RetryAfter = retryAfter(re.RawResponse, time.Now())
		se.Err = sanitize(re.RawResponse, re.StatusCode, re.ErrorCode)
		se.Fix = v.fixForStatus(re.StatusCode)
	case errors.As(err, &af):
		se.Fix = fixAuth
		if af.RawResponse == nil {
			// No error response: the token endpoint was unreachable, the
			// token file unreadable (both may heal) or the answer was not
			// JSON. azidentity keeps no chain to test, hence the text.
			se.Temporary = true
			msg, quoted := credentialMessage(af.Error())
			se.Err = errors.New(msg)
			switch {
			case strings.Contains(msg, transport.RedirectRefused):
				se.Temporary, se.Fix = false, fixRedirect
			case quoted:
				se.Fix = fixNotEntra
			}
			break
		}
		se.StatusCode = af.RawResponse.StatusCode
		se.Temporary = temporaryStatus(se.StatusCode)
		se.RetryAfter = retryAfter(af.RawResponse, time.Now())
		se.Err = fmt.Errorf("authentication failed: %w", sanitize(af.RawResponse, se.StatusCode, ""))
	case errors.As(err, &tv):
		se.Fix = fixTLS
	case errors.As(err, &ue), errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		se.Temporary = true
		se.Fix = fixNetwork
	}
	return se
}

// temporaryStatus: retrying may succeed for timeouts, throttling and server
// errors.
func temporaryStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// accessFix is fixAccess naming the identity, when known.
func accessFix(clientID string) string {
	if clientID == "" {
		return fixAccess
	}
	return strings.Replace(fixAccess, "the pod's identity", "the pod's identity (client ID "+clientID+")", 1)
}

func (v *Vault) fixForStatus(code int) string {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return v.fixAccess
	case http.StatusNotFound:
		return fixNotFound
	case http.StatusTooManyRequests:
		return fixThrottle
	}
	return ""
}

// errorBody is the error JSON of Key Vault ({"error":{"code","message",
// "innererror":{"code"}}}) and of Entra ({"error","error_description"}).
type errorBody struct {
	Error json.RawMessage `json:"error"`
	// Entra's form.
	Description string `json:"error_description"`
}

type kvError struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	InnerError *struct {
		Code string `json:"code"`
	} `json:"innererror"`
}

// parseErrorBody reads the response's error JSON. ok is false for any
// body that is not one, which is then never quoted.
func parseErrorBody(resp *http.Response) (code, message, inner string, ok bool) {
	if resp == nil {
		return "", "", "", false
	}
	body, err := runtime.Payload(resp)
	if err != nil || len(body) == 0 {
		return "", "", "", false
	}
	var b errorBody
	if json.Unmarshal(body, &b) != nil || len(b.Error) == 0 {
		return "", "", "", false
	}
	var kv kvError
	if json.Unmarshal(b.Error, &kv) == nil && kv.Code != "" {
		if kv.InnerError != nil {
			inner = kv.InnerError.Code
		}
		return kv.Code, kv.Message, inner, true
	}
	var s string
	if json.Unmarshal(b.Error, &s) == nil && s != "" {
		return s, b.Description, "", true
	}
	return "", "", "", false
}

// sanitize builds the cause from the status, the error code and, when the
// body is an error JSON, its message.
func sanitize(resp *http.Response, status int, code string) error {
	se := &serviceError{Status: status, Code: code}
	if c, msg, _, ok := parseErrorBody(resp); ok {
		if se.Code == "" {
			se.Code = c
		}
		// A service (or a proxy in front of it) may echo the request's
		// Authorization header in its message.
		se.Message = bounded(secret.BlankTokens(oneLine(msg)), maxMessage)
	}
	return se
}

// isDisabled reports whether a 403 is Key Vault's "Operation get is not
// allowed on a disabled secret": the secret exists but counts as missing.
func isDisabled(re *azcore.ResponseError) bool {
	if re.StatusCode != http.StatusForbidden {
		return false
	}
	_, _, inner, ok := parseErrorBody(re.RawResponse)
	return ok && inner == "SecretDisabled"
}

// maxRetryAfter bounds what retryAfter reports, so that no header value can
// overflow the conversion to a Duration. The agent caps the wait much lower
// (agent.RetryAfterCap); this bound only keeps the arithmetic sound.
const maxRetryAfter = 24 * time.Hour

// retryAfter reads the server's requested wait: retry-after-ms,
// x-ms-retry-after-ms, then Retry-After in seconds or as an HTTP date (the
// order azcore uses), at most maxRetryAfter. Zero when absent or
// unparsable.
func retryAfter(resp *http.Response, now time.Time) time.Duration {
	if resp == nil {
		return 0
	}
	for _, h := range []string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if ms, err := strconv.ParseInt(strings.TrimSpace(resp.Header.Get(h)), 10, 64); err == nil && ms > 0 {
			return time.Duration(min(ms, maxRetryAfter.Milliseconds())) * time.Millisecond
		}
	}
	ra := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if ra == "" {
		return 0
	}
	if s, err := strconv.ParseInt(ra, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(ra); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}

// msalQuote is how MSAL (apps/internal/oauth/ops/internal/comm/comm.go)
// introduces a token response it could not decode, followed by the whole
// body: a proxy's or WAF's page echoing the request would put the federated
// token (client_assertion) there.
const msalQuote = "raw message was:"

// credentialMessage is the credential's message without any quoted body,
// on one line, bounded, with anything token-shaped blanked; quoted reports
// whether MSAL had quoted a body.
func credentialMessage(msg string) (clean string, quoted bool) {
	if i := strings.Index(msg, msalQuote); i >= 0 {
		msg, quoted = msg[:i]+"(the answer is not shown)", true
	}
	return bounded(secret.BlankTokens(oneLine(msg)), 2*maxMessage), quoted
}

// bounded cuts s to n bytes, on a rune boundary, marking the cut.
func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// oneLine folds a multi-line SDK message onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
