package entra

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/fig-injector/fig-injector/injector/dev/internal/azjson"
)

// aadError is an error in Entra's format. The codes and wording follow what
// the real service answers (as quoted in public error reports); wording the
// emulator had to invent is marked where it is built.
type aadError struct {
	status      int
	code        string // OAuth error: invalid_client, invalid_request, …
	aadsts      int
	description string // without the "AADSTSnnn: " prefix and trace suffix
}

// wireError is the JSON body Entra returns with an error.
type wireError struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	ErrorCodes    []int  `json:"error_codes"`
	Timestamp     string `json:"timestamp"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
	ErrorURI      string `json:"error_uri"`
}

// writeError writes e as Entra would, with trace and correlation IDs (the
// latter echoes the client's client-request-id, as Entra does).
func writeError(w http.ResponseWriter, r *http.Request, ev *Event, now time.Time, e aadError) {
	ev.Error, ev.Code = e.code, e.aadsts
	correlation := r.Header.Get("Client-Request-Id")
	if correlation == "" {
		correlation = uuid.NewString()
	}
	trace := uuid.NewString()
	ts := now.UTC().Format("2006-01-02 15:04:05Z")
	body := wireError{
		Error: e.code,
		Description: fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			e.aadsts, e.description, trace, correlation, ts),
		ErrorCodes:    []int{e.aadsts},
		Timestamp:     ts,
		TraceID:       trace,
		CorrelationID: correlation,
		ErrorURI:      "https://login.microsoftonline.com/error?code=" + strconv.Itoa(e.aadsts),
	}
	writeJSON(w, e.status, body)
}

// writeJSON writes v with Entra's content type and no-cache headers.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := azjson.Marshal(v)
	if err != nil { // only plain structs and maps reach here
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func errUnknownTenant(tenant string) aadError {
	return aadError{http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf(
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. "+
			"Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant)}
}

func errUnknownClient(clientID, tenant string) aadError {
	return aadError{http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
		"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been "+
			"installed by the administrator of the tenant or consented to by any user in the tenant. "+
			"You may have sent your authentication request to the wrong tenant.", clientID, tenant)}
}

func errNoIssuer(iss string) aadError {
	return aadError{http.StatusBadRequest, "invalid_client", 700211, fmt.Sprintf(
		"No matching federated identity record found for presented assertion issuer '%s'. "+
			"Please note that the matching is done using a case-sensitive comparison. "+
			"Check your federated identity credential Subject, Audience and Issuer against the presented assertion. "+
			"https://learn.microsoft.com/entra/workload-id/workload-identity-federation", iss)}
}

func errNoAudience(aud string) aadError {
	return aadError{http.StatusBadRequest, "invalid_client", 700212, fmt.Sprintf(
		"No matching federated identity record found for presented assertion audience '%s'. "+
			"Check your federated identity credential Subject, Audience and Issuer against the presented assertion. "+
			"https://learn.microsoft.com/entra/workload-id/workload-identity-federation", aud)}
}

func errNoSubject(sub string) aadError {
	return aadError{http.StatusBadRequest, "invalid_client", 700213, fmt.Sprintf(
		"No matching federated identity record found for presented assertion subject '%s'. "+
			"Check your federated identity credential Subject, Audience and Issuer against the presented assertion. "+
			"https://learn.microsoft.com/entra/workload-id/workload-identity-federation", sub)}
}

// errAssertionTime is what Entra answers for an expired (or not yet valid)
// client assertion: invalid_client with AADSTS700024, as in public reports.
func errAssertionTime(now, nbf, exp time.Time) aadError {
	const layout = "2006-01-02T15:04:05.0000000Z"
	for _, t := range []*time.Time{&nbf, &exp} {
		if t.IsZero() { // an absent claim reads as the epoch, as in Entra's message
			*t = time.Unix(0, 0)
		}
	}
	return aadError{http.StatusBadRequest, "invalid_client", 700024, fmt.Sprintf(
		"Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s. "+
			"Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
		now.UTC().Format(layout), nbf.UTC().Format(layout), exp.UTC().Format(layout))}
}

// errBadSignature is Entra's answer to an assertion whose signature does not
// verify with the issuer's published keys (AADSTS700027, as documented in
// Entra's error code reference).
func errBadSignature() aadError {
	return aadError{http.StatusBadRequest, "invalid_client", 700027,
		"Client assertion failed signature validation."}
}

// errIssuerUnreachable is Entra's answer when the issuer's OIDC discovery
// document or keys cannot be fetched (AADSTS50166).
func errIssuerUnreachable(iss string) aadError {
	return aadError{http.StatusBadRequest, "invalid_request", 50166, fmt.Sprintf(
		"Request to External OIDC endpoint failed. Issuer: '%s'.", iss)}
}

func errMalformedAssertion() aadError {
	return aadError{http.StatusBadRequest, "invalid_request", 50027,
		"JWT token is invalid or malformed."}
}

func errMissingParam(name string) aadError {
	return aadError{http.StatusBadRequest, "invalid_request", 900144, fmt.Sprintf(
		"The request body must contain the following parameter: '%s'.", name)}
}

func errNoAssertion() aadError {
	return aadError{http.StatusUnauthorized, "invalid_client", 7000216,
		"'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."}
}

// errAssertionType is emulator-authored wording for a wrong
// client_assertion_type.
func errAssertionType(got string) aadError {
	return aadError{http.StatusBadRequest, "invalid_request", 90014, fmt.Sprintf(
		"The required field 'client_assertion_type' is missing or invalid ('%s'); "+
			"expected 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.", got)}
}

func errGrantType(got string) aadError {
	return aadError{http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf(
		"The app requested an unsupported grant type '%s'.", got)}
}

func errScope(scope string) aadError {
	return aadError{http.StatusBadRequest, "invalid_scope", 70011, fmt.Sprintf(
		"The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. "+
			"The scope %s is not valid.", scope)}
}

func errInvalidInstance() aadError {
	return aadError{http.StatusBadRequest, "invalid_instance", 50049,
		"Unknown or invalid instance."}
}

// errNotFound and errMethod are emulator-authored.
func errNotFound(path string) aadError {
	return aadError{http.StatusNotFound, "invalid_request", 900561, fmt.Sprintf(
		"The emulator has no endpoint at '%s'.", path)}
}

func errMethod(want, got string) aadError {
	return aadError{http.StatusMethodNotAllowed, "invalid_request", 900561, fmt.Sprintf(
		"The endpoint only accepts %s requests. Received a %s request.", want, got)}
}
