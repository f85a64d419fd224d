package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/status"
)

// maxProbeLine bounds the line the kubelet copies into the pod's
// "Startup probe failed: …" event (it keeps up to 10 KiB of an exec probe's
// output; an event meant for `kubectl describe pod` should be far shorter).
const maxProbeLine = 1024

// maxReadyzBody bounds what the probe reads of /readyz.
const maxReadyzBody = 64 << 10

// readyzAnswer is the part of /readyz's body the probe reads.
type readyzAnswer struct {
	Ready   bool                  `json:"ready"`
	Reason  string                `json:"reason"`
	Sources []status.SourceHealth `json:"sources"`
}

// runProbe is the native sidecar's startup probe: it asks the agent's own
// /readyz on loopback and, while the agent is not ready, fails with one
// stable line saying what holds the first render back. The kubelet puts an
// exec probe's output into the pod's Unhealthy event, where an HTTP probe's
// event says only the status code; the agent itself has no API access to
// post an event. The line is /readyz's text, which the agent has redacted.
func runProbe(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("probe", stderr)
	port := fs.Int("port", 9102, "the agent's status port (its listen address)")
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for /readyz")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *port < 1 || *port > 65535 {
		fmt.Fprintf(stderr, "--port %d: use the agent's status port, such as 9102\n", *port)
		return errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	return probeReadyz(ctx, "http://127.0.0.1:"+strconv.Itoa(*port)+"/readyz")
}

// probeReadyz returns nil when the agent at url is ready, else the one-line
// reason.
func probeReadyz(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the agent does not answer at %s: %w", url, unwrapURLError(err))
	}
	defer resp.Body.Close()
	var a readyzAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxReadyzBody)).Decode(&a); err != nil {
		return fmt.Errorf("%s answered %s with no readable body: %w", url, resp.Status, err)
	}
	if resp.StatusCode == http.StatusOK && a.Ready {
		return nil
	}
	return errors.New(bound(notReadyLine(a), maxProbeLine))
}

// notReadyLine names the first failing source and its last error (which
// says what, which identity and the fix), else /readyz's own reason. It
// carries no count or time, so that the kubelet folds repeats into one event.
func notReadyLine(a readyzAnswer) string {
	var failing []status.SourceHealth
	for _, s := range a.Sources {
		if s.LastError != "" {
			failing = append(failing, s)
		}
	}
	if len(failing) > 0 {
		line := "not ready: " + failing[0].Name + ": " + failing[0].LastError
		if len(failing) > 1 {
			line += fmt.Sprintf(" (and %d more failing sources)", len(failing)-1)
		}
		return line
	}
	if a.Reason == "" {
		return "not ready"
	}
	return "not ready: " + a.Reason
}

// unwrapURLError drops net/http's `Get "url":` prefix, which the caller's
// message already carries.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n-len("…")], "") + "…"
}
