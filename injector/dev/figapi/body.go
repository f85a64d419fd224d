package figapi

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// Fig source: src/api/Fig.Api/Program.cs registers AddRequestDecompression
// and UseRequestDecompression, so gzip and deflate request bodies are
// accepted; it sets no body size of its own (Kestrel's default applies).
// maxBody is Kestrel's default MaxRequestBodySize, applied to the body as
// sent and again after decompression.
const maxBody = 30_000_000

// errTooLarge marks a body over maxBody (413).
var errTooLarge = errors.New("request body too large")

// readBody reads a request body, undoing Content-Encoding gzip or deflate
// as the API's AddRequestDecompression does (Fig.Client gzips bodies of
// 4096 bytes or more when the server advertises requestCompression).
func readBody(r *http.Request) ([]byte, error) {
	var src io.Reader = http.MaxBytesReader(nil, r.Body, maxBody)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		defer zr.Close()
		src = zr
	case "deflate":
		fr := flate.NewReader(src)
		defer fr.Close()
		src = fr
	default:
		return nil, fmt.Errorf("unsupported content encoding %q", enc)
	}
	b, err := io.ReadAll(io.LimitReader(src, maxBody+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, errTooLarge
	case err != nil:
		return nil, fmt.Errorf("read body: %w", err)
	case len(b) > maxBody:
		return nil, errTooLarge
	}
	return b, nil
}

// writeBodyError answers a body readBody could not read.
func writeBodyError(w http.ResponseWriter, err error) {
	if errors.Is(err, errTooLarge) {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	writeValidationProblem(w, "", err.Error())
}

// jsonContent reports whether a request's Content-Type is one the API's
// Newtonsoft input formatter reads (application/json, text/json,
// application/*+json). Without one, ASP.NET answers a [FromBody] action
// with 415 before the action runs, so a client must send it.
func jsonContent(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" ||
		strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}
