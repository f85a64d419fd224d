package figapi

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"

	"github.com/google/uuid"
)

// Error bodies, as contracts/fig-api.md §6 describes them.

// Fig source: ErrorHandlerMiddleware (src/api/Fig.Api/Middleware/ErrorHandlerMiddleware.cs:
// the exception-to-status map and a plain JsonConvert.SerializeObject of
// ErrorResultDataContract, src/common/Fig.Contracts/ErrorResultDataContract.cs:
// ErrorType, Message, Detail only in Development, Reference a new GUID).
// writeFigError writes Fig's ErrorHandlerMiddleware body: default
// JsonConvert settings, so PascalCase, nulls included and no "$type"
// (Fixture E). Detail is null outside Fig's Development environment.
func writeFigError(w http.ResponseWriter, status int, message string) {
	e := &wire{nulls: true}
	o := e.object("")
	o.str("ErrorType", strconv.Itoa(status))
	o.str("Message", message)
	o.null("Detail")
	o.str("Reference", uuid.NewString())
	o.close()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(e.b)
}

// writeProblem writes the ProblemDetails body ASP.NET's [ApiController]
// produces for a bare status result such as Unauthorized() or an
// unsupported media type: this is what GET settings and PUT status answer
// to an empty secret (the exact form is UNCONFIRMED in the contract; this
// is ASP.NET Core 8+'s).
func writeProblem(w http.ResponseWriter, status int) {
	e := &wire{}
	o := e.object("")
	o.str("type", problemType(status))
	o.str("title", http.StatusText(status))
	o.key("status")
	e.b = strconv.AppendInt(e.b, int64(status), 10)
	o.str("traceId", traceID())
	o.close()
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(e.b)
}

// writeValidationProblem writes the 400 ValidationProblemDetails that model
// binding produces for a missing header or an unreadable body. errs maps a
// field to its messages.
func writeValidationProblem(w http.ResponseWriter, field, message string) {
	e := &wire{}
	o := e.object("")
	o.str("type", problemType(http.StatusBadRequest))
	o.str("title", "One or more validation errors occurred.")
	o.key("status")
	e.b = strconv.AppendInt(e.b, http.StatusBadRequest, 10)
	o.key("errors")
	errs := e.object("")
	errs.strings(field, []string{message})
	errs.close()
	o.str("traceId", traceID())
	o.close()
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(e.b)
}

func problemType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.1"
	case http.StatusUnauthorized:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.2"
	case http.StatusNotFound:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.5"
	case http.StatusUnsupportedMediaType:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.16"
	}
	return "about:blank"
}

// traceID is a W3C trace id in the form ASP.NET puts in problem bodies.
func traceID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-00"
}
