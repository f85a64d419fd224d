package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Defaults for the zero values of HTTP's fields.
const (
	DefaultHTTPTimeout = 5 * time.Second
	DefaultHTTPBackoff = 250 * time.Millisecond
	maxHTTPBackoff     = 10 * time.Second
)

// HTTP POSTs an empty body to the application's reload endpoint, typically
// on loopback (the pod shares one network namespace).
//
// A 2xx answer is success. Connection errors and 5xx answers (the app is
// starting or busy) are retried with exponential backoff; any other answer
// fails at once, because asking again will not change it. Redirects are not
// followed.
type HTTP struct {
	// URL is the endpoint, http or https, e.g. "http://127.0.0.1:8080/reload".
	URL string
	// Timeout bounds each attempt (DefaultHTTPTimeout if zero).
	Timeout time.Duration
	// Retries is how many times a failed attempt is repeated; 0 tries once.
	Retries int
	// Backoff is the wait before the first retry, doubled for each further
	// one up to 10 s (DefaultHTTPBackoff if zero).
	Backoff time.Duration
	// Client sends the request. Nil means a client that uses no proxy (the
	// endpoint is in the pod) and does not follow redirects.
	Client *http.Client
}

// Validate checks the URL, so a config error shows at start-up rather than
// at the first change.
func (h HTTP) Validate() error {
	_, err := h.parse()
	return err
}

func (h HTTP) parse() (*url.URL, error) {
	u, err := url.Parse(h.URL)
	if err != nil {
		return nil, fmt.Errorf("notify URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("notify URL %s: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("notify URL %s: no host", u.Redacted())
	}
	return u, nil
}

// Notify POSTs to URL, retrying as described on HTTP until an attempt
// succeeds, the retries are spent, or ctx ends.
func (h HTTP) Notify(ctx context.Context) error {
	u, err := h.parse()
	if err != nil {
		return err
	}
	client := h.Client
	if client == nil {
		tr := &http.Transport{Proxy: nil}
		defer tr.CloseIdleConnections()
		client = &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	wait := h.Backoff
	if wait <= 0 {
		wait = DefaultHTTPBackoff
	}
	attempts := max(h.Retries, 0) + 1
	for i := 1; ; i++ {
		retry, err := h.post(ctx, client, u)
		if err == nil {
			return nil
		}
		if !retry || i == attempts {
			return fmt.Errorf("notify %s: %w (attempt %d of %d)", u.Redacted(), err, i, attempts)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("notify %s: %w (gave up after attempt %d: %w)", u.Redacted(), ctx.Err(), i, err)
		case <-t.C:
		}
		wait = min(2*wait, maxHTTPBackoff)
	}
}

// post makes one attempt and says whether a failure is worth retrying.
func (h HTTP) post(ctx context.Context, client *http.Client, u *url.URL) (retry bool, err error) {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultHTTPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), http.NoBody)
	if err != nil {
		return false, err
	}
	req.Header.Set("User-Agent", "fig-injector")
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the unredacted URL
		}
		return ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded), err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode >= 500:
		return true, fmt.Errorf("HTTP %s", resp.Status)
	default:
		return false, fmt.Errorf("HTTP %s", resp.Status)
	}
}
