package keyvault

import (
	"net/http"
)

// kvError is an error in Key Vault's format. Provenance of the texts is
// contracts/azure.md §4.4: 404 and AKV10000 are verbatim from real-service
// recordings, the 403 texts as quoted in public reports, the rest is
// emulator-authored (clients must key on status and code, not on wording).
type kvError struct {
	status  int
	code    string
	message string
	inner   string // innererror.code, "" for none
}

type wireErrorBody struct {
	Error wireErrorDetail `json:"error"`
}

type wireErrorDetail struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError *wireInner `json:"innererror,omitempty"`
}

type wireInner struct {
	Code string `json:"code"`
}

// writeError writes e and records its code in the event.
func (s *Server) writeError(w http.ResponseWriter, ev *Event, e kvError) {
	ev.ErrorCode, ev.InnerCode = e.code, e.inner
	body := wireErrorBody{Error: wireErrorDetail{Code: e.code, Message: e.message}}
	if e.inner != "" {
		body.Error.InnerError = &wireInner{Code: e.inner}
	}
	s.writeJSON(w, e.status, body)
}

func errSecretNotFound(what string) kvError {
	return kvError{status: http.StatusNotFound, code: "SecretNotFound", message: "A secret with (name/id) " + what +
		" was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. " +
		"For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"}
}

func errSecretDisabled() kvError {
	return kvError{status: http.StatusForbidden, code: "Forbidden",
		message: "Operation get is not allowed on a disabled secret.", inner: "SecretDisabled"}
}

// errForbiddenByRBAC is the 403 of a vault using Azure RBAC when the caller
// has no role granting action on the vault (scope "") or on one secret
// (scope "/secrets/<name>").
func errForbiddenByRBAC(caller, action, vault, scope, location string) kvError {
	resource := "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/fig-injector-dev/providers/microsoft.keyvault/vaults/" +
		vault + scope
	return kvError{status: http.StatusForbidden, code: "Forbidden", inner: "ForbiddenByRbac", message: "Caller is not authorized to perform action on resource.\r\n" +
		"If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n" +
		"Caller: " + caller + "\r\n" +
		"Action: '" + action + "'\r\n" +
		"Resource: '" + resource + "'\r\n" +
		"Assignment: (not found)\r\n" +
		"DenyAssignmentId: null\r\n" +
		"DecisionReason: null \r\n" +
		"Vault: " + vault + ";location=" + location + "\r\n"}
}

func errMissingToken() kvError {
	return kvError{status: http.StatusUnauthorized, code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token."}
}

func errInvalidToken(resource string) kvError {
	return kvError{status: http.StatusUnauthorized, code: "Unauthorized", message: "AKV10022: Invalid audience. Expected " + resource +
		"; the token is unknown to the emulator's token issuer, expired, or was issued for another tenant or resource."}
}

func errThrottled() kvError {
	return kvError{status: http.StatusTooManyRequests, code: "Throttled", message: "Request was not processed because too many requests " +
		"were received. Reason: VaultRequestTypeLimitReached"}
}

func errBadParameter(msg string) kvError {
	return kvError{status: http.StatusBadRequest, code: "BadParameter", message: msg}
}

func errNoAPIVersion() kvError {
	return errBadParameter("The 'api-version' query parameter is missing.")
}

func errBadName(name string) kvError {
	return errBadParameter("The secret name '" + name + "' is invalid: use 1-127 letters, digits and hyphens.")
}

func errNoRoute(path string) kvError {
	return kvError{status: http.StatusNotFound, code: "NotFound", message: "The vault emulator serves no resource at '" + path + "'."}
}

func errMethod(method string) kvError {
	return kvError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed", message: "The vault emulator is read-only over HTTP; " +
		method + " is not supported. Seed secrets through the dev seed file."}
}
