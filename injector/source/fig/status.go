package fig

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
)

// HealthStatus is Fig's FigHealthStatus, sent as its integer.
type HealthStatus int

// The health states.
const (
	HealthHealthy HealthStatus = iota
	HealthDegraded
	HealthUnhealthy
	HealthUnknown
	HealthUninitialized
)

// Health is HealthDataContract: the application's overall health and its
// components, shown in Fig's UI.
type Health struct {
	Status     HealthStatus
	Components []HealthComponent
}

// HealthComponent is ComponentHealthDataContract.
type HealthComponent struct {
	Name    string
	Status  HealthStatus
	Message string // "" is sent as null
}

// StatusRequest is what the caller supplies for PUT /statuses; the Client
// adds RunSessionId and FigVersion. Zero fields take the defaults named.
type StatusRequest struct {
	// StartTime is when the application (or agent) started; default: when
	// the Client was created.
	StartTime time.Time
	// LastSettingUpdate is the time of the last successful settings fetch,
	// the server's change-detection cursor. It is sent in UTC. Default
	// (before the first fetch): when the Client was created, as
	// Fig.Client's SettingStatusMonitor seeds it with its own start. Never
	// DateTime.MinValue: Fig's StatusService computes AddSeconds(-1) from it
	// and answers 400 for any client whose values have ever changed.
	LastSettingUpdate time.Time
	// PollInterval is the current poll interval; default 30 s.
	PollInterval time.Duration
	// ApplicationVersion defaults to Options.ClientVersion.
	ApplicationVersion string
	// OfflineSettingsEnabled says the client keeps an offline copy.
	OfflineSettingsEnabled bool
	// SupportsRestart says a restart request will be acted on.
	SupportsRestart bool
	// RunningUser defaults to the effective user's name.
	RunningUser string
	// MemoryUsageBytes defaults to this process's resident set size.
	MemoryUsageBytes int64
	// Health is sent as null when nil.
	Health *Health
	// CustomProperties are sent as null when nil, else as
	// {"Properties": […]} after enforcing Fig's limits (see
	// limitCustomProperties).
	CustomProperties []CustomProperty
}

// StatusResponse is StatusResponseDataContract, plus what the client had to
// change in the request.
type StatusResponse struct {
	// SettingUpdateAvailable says the values changed since LastSettingUpdate.
	SettingUpdateAvailable bool
	// PollIntervalMs is the interval the server wants (nil: keep yours).
	PollIntervalMs *float64
	// AllowOfflineSettings says whether offline copies are allowed.
	AllowOfflineSettings bool
	// RestartRequested says an admin asked for a restart.
	RestartRequested bool
	// ChangedSettings names the changed settings (informational).
	ChangedSettings []string
	// Warnings describe custom properties that were truncated or dropped to
	// stay within Fig's limits.
	Warnings []string
}

// PollInterval returns the server's interval when it sent a positive one.
func (r StatusResponse) PollInterval() (time.Duration, bool) {
	if r.PollIntervalMs == nil || !(*r.PollIntervalMs > 0) || *r.PollIntervalMs > float64(1<<53) {
		return 0, false
	}
	return time.Duration(*r.PollIntervalMs * float64(time.Millisecond)), true
}

// defaultPollInterval is Fig.Client's default (FIG_POLL_INTERVAL_MS).
const defaultPollInterval = 30 * time.Second

// Status sends PUT /statuses/{name}[?instance=] as Fig.Client's status
// monitor does: headers clientSecret and Fig_Hostname, the body of
// EncodeStatus. It is the heartbeat that keeps the client "connected" in Fig
// and the change poll. Custom properties adjusted to Fig's limits are listed
// in the reply's Warnings, for the caller to report (once, not every poll).
func (c *Client) Status(ctx context.Context, req StatusRequest) (StatusResponse, error) {
	body, warnings := c.encodeStatus(req)
	r := request{
		method:       http.MethodPut,
		path:         "/statuses/" + c.escapedName(),
		query:        c.instanceQuery(c.instance),
		ep:           epStatus,
		secretHeader: "clientSecret",
		hostname:     true,
		body:         body,
	}
	resp, secretText, err := c.send(ctx, r)
	if err != nil {
		return StatusResponse{Warnings: warnings}, err
	}
	if resp.status < 200 || resp.status > 299 {
		return StatusResponse{Warnings: warnings}, c.statusError(r.op(), r.ep, resp, secretText)
	}
	var out StatusResponse
	if err := json.Unmarshal(resp.body, &out); err != nil {
		return StatusResponse{Warnings: warnings}, &source.Error{Source: sourceName, Op: r.op(), StatusCode: resp.status,
			Err: fmt.Errorf("the status response is not Fig's StatusResponseDataContract (%s)", dotnet.JSONKind(resp.body)),
			Fix: "check that the API URI points at the Fig API"}
	}
	out.Warnings = warnings
	return out, nil
}

// EncodeStatus is the body Status sends: StatusRequestDataContract as
// Fig.Client's plain JsonConvert.SerializeObject writes it — PascalCase, no
// "$type", nulls included, enums as integers, times in UTC — in this order:
// RunSessionId, StartTime, LastSettingUpdate, PollIntervalMs (a double,
// 30000.0), FigVersion, ApplicationVersion, OfflineSettingsEnabled,
// SupportsRestart, RunningUser, MemoryUsageBytes, Health, CustomProperties,
// HasConfigurationError (false), ConfigurationErrors ([]). The warnings say
// which custom properties were adjusted to Fig's limits.
func (c *Client) encodeStatus(req StatusRequest) ([]byte, []string) {
	runSession, started := c.session()
	start := req.StartTime
	if start.IsZero() {
		start = started
	}
	lastUpdate := req.LastSettingUpdate
	if lastUpdate.IsZero() {
		lastUpdate = started
	}
	interval := req.PollInterval
	if interval <= 0 {
		interval = defaultPollInterval
	}
	appVersion := req.ApplicationVersion
	if appVersion == "" {
		appVersion = c.clientVersion
	}
	user := req.RunningUser
	if user == "" {
		user = userName()
	}
	mem := req.MemoryUsageBytes
	if mem == 0 {
		mem = workingSet()
	}
	var w dotnet.Writer
	w.Open("")
	w.Key("RunSessionId")
	w.Str(runSession)
	w.Key("StartTime")
	w.Str(dotnet.NewtonsoftTime(start.UTC()))
	w.Key("LastSettingUpdate")
	w.Str(dotnet.NewtonsoftTime(lastUpdate.UTC()))
	w.Key("PollIntervalMs")
	w.Double(float64(interval) / float64(time.Millisecond))
	w.Key("FigVersion")
	w.Str(c.figVersion)
	w.Key("ApplicationVersion")
	w.Str(appVersion)
	w.Key("OfflineSettingsEnabled")
	w.Bool(req.OfflineSettingsEnabled)
	w.Key("SupportsRestart")
	w.Bool(req.SupportsRestart)
	w.Key("RunningUser")
	w.Str(user)
	w.Key("MemoryUsageBytes")
	w.Int(mem)
	w.Key("Health")
	if req.Health == nil {
		w.Null()
	} else {
		w.Open("")
		w.Key("Status")
		w.Int(int64(req.Health.Status))
		w.Key("Components")
		w.OpenArray()
		for _, comp := range req.Health.Components {
			w.Open("")
			w.Key("Name")
			w.Str(comp.Name)
			w.Key("Status")
			w.Int(int64(comp.Status))
			w.Key("Message")
			w.StrOrNull(comp.Message)
			w.Close()
		}
		w.CloseArray()
		w.Close()
	}
	w.Key("CustomProperties")
	var warnings []string
	if req.CustomProperties == nil {
		w.Null()
	} else {
		var props []CustomProperty
		props, warnings = limitCustomProperties(req.CustomProperties)
		writeCustomProperties(&w, props)
	}
	w.Key("HasConfigurationError")
	w.Bool(false)
	w.Key("ConfigurationErrors")
	w.EmptyArray()
	w.Close()
	return w.Bytes(), warnings
}

// workingSet is Environment.WorkingSet on Linux: the resident set size.
func workingSet() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
