package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/source/fig"
)

// appHealthTimeout is Fig.Client's HealthCheckTimeout (FigHealthWorker.cs):
// a health check that takes longer is reported as Unknown.
const appHealthTimeout = 5 * time.Second

// appHealthComponent names the application's component in Fig's health view,
// next to the agent's own components.
const appHealthComponent = "application"

// appProbe checks the application's health endpoint (fig.appHealthUrl)
// before each status, so Fig shows the app's health as Fig.Client would
// report the app's health checks (FigHealthReportConverter.cs).
type appProbe struct {
	url    string
	client *http.Client
}

func newAppProbe(url string) *appProbe {
	if url == "" {
		return nil
	}
	return &appProbe{url: url, client: &http.Client{
		Transport:     &http.Transport{Proxy: nil}, // the endpoint is in the pod
		Timeout:       appHealthTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// check GETs the endpoint and reads it as ASP.NET Core's health endpoint
// answers: 2xx with "Healthy" or "Degraded" (a body that says neither is
// Healthy), 503 or any other status Unhealthy. The messages are fixed texts
// — never the body, an error with addresses or a time — because Fig logs an
// event and fires its HealthStatusChanged web hook whenever the health JSON
// changes (ClientRunSessionBusinessEntityExtensions.Update).
func (p *appProbe) check(ctx context.Context) fig.HealthComponent {
	c := fig.HealthComponent{Name: appHealthComponent}
	ctx, cancel := context.WithTimeout(ctx, appHealthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		c.Status, c.Message = fig.HealthUnknown, "the health URL is invalid"
		return c
	}
	resp, err := p.client.Do(req)
	switch {
	case err != nil && (errors.Is(err, context.DeadlineExceeded) || isTimeout(err)):
		// FigHealthWorker's own words for a check that ran out of time.
		c.Status, c.Message = fig.HealthUnknown, fmt.Sprintf("Health check timed out after %d seconds", int(appHealthTimeout/time.Second))
		return c
	case err != nil:
		c.Status, c.Message = fig.HealthUnhealthy, "the health endpoint does not answer"
		return c
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	switch text := strings.TrimSpace(string(body)); {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		c.Status, c.Message = fig.HealthUnhealthy, fmt.Sprintf("the health endpoint answers HTTP %d", resp.StatusCode)
	case strings.EqualFold(text, "Degraded"):
		c.Status, c.Message = fig.HealthDegraded, "Degraded"
	default:
		c.Status, c.Message = fig.HealthHealthy, "Healthy"
	}
	return c
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// withAppHealth adds the application's component to the agent's health,
// when the pod names a health endpoint. Only the poller's statuses carry
// it: the first status goes out before the app has started (native and
// classic modes start the app after the first render).
func (f *figSource) withAppHealth(ctx context.Context, h *fig.Health) *fig.Health {
	if f.appHealth == nil {
		return h
	}
	c := f.appHealth.check(ctx)
	h.Components = append(h.Components, c)
	h.Status = max(h.Status, c.Status)
	return h
}
