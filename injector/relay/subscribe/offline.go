package subscribe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// ErrNoCopy says the relay holds no offline copy of the client.
var ErrNoCopy = errors.New("the relay holds no offline copy of this client")

// Offline is the agent's client of the relay's offline copies
// (wire.OfflinePath). It sends only what it is given, which must be
// ciphertext (injector/source/fig/offline.Seal). Refusals are
// *RefusedError; Status 501 means the relay keeps no copies.
type Offline struct {
	URL              string // the relay's base URL
	TokenFile        string // re-read at every request, as Run does
	Client, Instance string
	// HTTPClient must trust the relay and should bound each request with a
	// Timeout (unlike Run's client); nil means http.DefaultClient.
	HTTPClient *http.Client
}

// Get returns the copy, or ErrNoCopy.
func (o *Offline) Get(ctx context.Context) (string, error) {
	body, err := o.do(ctx, http.MethodGet, "")
	if err != nil {
		return "", err
	}
	return body, nil
}

// Put stores ciphertext as the client's copy.
func (o *Offline) Put(ctx context.Context, ciphertext string) error {
	_, err := o.do(ctx, http.MethodPut, ciphertext)
	return err
}

// Delete removes the client's copy (none is not an error).
func (o *Offline) Delete(ctx context.Context) error {
	_, err := o.do(ctx, http.MethodDelete, "")
	return err
}

func (o *Offline) do(ctx context.Context, method, body string) (string, error) {
	token, err := os.ReadFile(o.TokenFile)
	if err != nil {
		return "", fmt.Errorf("relay token: %w", err)
	}
	q := url.Values{"client": {o.Client}}
	if o.Instance != "" {
		q.Set("instance", o.Instance)
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(o.URL, "/")+wire.OfflinePath+"?"+q.Encode(), rd)
	if err != nil {
		return "", err
	}
	if rd != nil {
		req.Header.Set("Content-Type", wire.OfflineContentType)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound && method == http.MethodGet:
		return "", ErrNoCopy
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		reason, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return "", &RefusedError{Status: resp.StatusCode, Reason: strings.TrimSpace(string(reason)), What: strings.ToLower(method) + " of the offline copy"}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxOfflineCopy+1))
	if err != nil {
		return "", fmt.Errorf("reading the offline copy: %w", err)
	}
	if len(data) > wire.MaxOfflineCopy {
		return "", fmt.Errorf("the relay's offline copy is larger than %d KiB", wire.MaxOfflineCopy>>10)
	}
	return string(data), nil
}
