package figapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// statusRequest is StatusRequestDataContract as Fig.Client sends it
// (PascalCase, no "$type"); encoding/json matches member names ignoring
// case, so camelCase bodies bind too, as they do in Newtonsoft.
type statusRequest struct {
	RunSessionID           *string         `json:"RunSessionId"`
	StartTime              *string         `json:"StartTime"`
	LastSettingUpdate      *string         `json:"LastSettingUpdate"`
	PollIntervalMs         *float64        `json:"PollIntervalMs"`
	FigVersion             *string         `json:"FigVersion"`
	ApplicationVersion     *string         `json:"ApplicationVersion"`
	OfflineSettingsEnabled bool            `json:"OfflineSettingsEnabled"`
	SupportsRestart        bool            `json:"SupportsRestart"`
	RunningUser            *string         `json:"RunningUser"`
	MemoryUsageBytes       int64           `json:"MemoryUsageBytes"`
	Health                 *wireHealth     `json:"Health"`
	CustomProperties       json.RawMessage `json:"CustomProperties"`
}

// wireHealth is HealthDataContract; statuses are enum ints (or names).
type wireHealth struct {
	Status     healthStatus `json:"Status"`
	Components []struct {
		Name    *string      `json:"Name"`
		Status  healthStatus `json:"Status"`
		Message *string      `json:"Message"`
	} `json:"Components"`
}

// healthStatus reads FigHealthStatus as a number or its name.
type healthStatus int

var healthNames = []string{"Healthy", "Degraded", "Unhealthy", "Unknown", "Uninitialized"}

func (h *healthStatus) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if i, err := strconv.Atoi(string(b)); err == nil {
		*h = healthStatus(i)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("want a FigHealthStatus")
	}
	for i, n := range healthNames {
		if n == s {
			*h = healthStatus(i)
			return nil
		}
	}
	return fmt.Errorf("unknown FigHealthStatus %q", s)
}

// parsedStatus is a statusRequest with its GUID and times read.
type parsedStatus struct {
	req               statusRequest
	sessionID         string
	startTime         time.Time
	lastSettingUpdate time.Time // UTC; zero is DateTime.MinValue
}

// parseStatus binds a status body; errors are model-binding failures.
func parseStatus(body []byte) (parsedStatus, *bindError) {
	var p parsedStatus
	if len(bytes.TrimSpace(body)) == 0 {
		return p, &bindError{"", "A non-empty request body is required."}
	}
	if err := json.Unmarshal(body, &p.req); err != nil {
		return p, &bindError{"statusRequest", err.Error()}
	}
	p.sessionID = uuid.Nil.String()
	if id := p.req.RunSessionID; id != nil {
		u, err := uuid.Parse(*id)
		if err != nil {
			return p, &bindError{"RunSessionId", fmt.Sprintf("could not convert %q to a Guid", *id)}
		}
		p.sessionID = u.String()
	}
	readTime := func(field string, v *string) (time.Time, *bindError) {
		if v == nil {
			return time.Time{}, nil
		}
		t, z, err := parseDateTime(*v)
		if err != nil {
			return time.Time{}, &bindError{field, err.Error()}
		}
		return utcInstant(t, z), nil
	}
	var berr *bindError
	if p.startTime, berr = readTime("StartTime", p.req.StartTime); berr != nil {
		return p, berr
	}
	if p.lastSettingUpdate, berr = readTime("LastSettingUpdate", p.req.LastSettingUpdate); berr != nil {
		return p, berr
	}
	return p, nil
}

// serveStatus handles PUT /statuses/{name}?instance= (StatusService.SyncStatus,
// §2.5): the run session is found by RunSessionId or created with the
// request's poll interval and live reload on; the reply says whether a
// value changed after the client's LastSettingUpdate (when the session has
// live reload), which settings, the poll interval (the server's override
// or the session's), whether offline settings are allowed and whether a
// restart was requested.
func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request, name string) {
	if !jsonContent(r) {
		writeProblem(w, http.StatusUnsupportedMediaType)
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	p, berr := parseStatus(body)
	if berr != nil {
		writeValidationProblem(w, berr.field, berr.msg)
		return
	}
	secret := r.Header.Get("ClientSecret")
	if blank(secret) {
		writeProblem(w, http.StatusUnauthorized)
		return
	}
	instance := instanceParam(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	g, row := s.rowWithFallback(name, instance)
	if row == nil {
		writeFigError(w, http.StatusNotFound, fmt.Sprintf("No existing registration for client '%s'", name))
		return
	}
	if !g.secret.matches(secret) {
		writeFigError(w, http.StatusUnauthorized, fmt.Sprintf("Invalid Secret for client '%s'", g.name))
		return
	}
	now := s.now()
	var rs *runSession
	for _, x := range row.sessions {
		if x.id == p.sessionID {
			rs = x
		}
	}
	liveReload := rs == nil || rs.liveReload // a new session starts with live reload on
	update := liveReload && !row.lastValueUpdate.IsZero() && row.lastValueUpdate.After(p.lastSettingUpdate)
	isNew := rs == nil
	if isNew {
		rs = &runSession{
			id:              p.sessionID,
			instance:        instance,
			startTime:       p.startTime,
			firstSeen:       now,
			liveReload:      true,
			lastSettingLoad: now, // Fig assumes the client loaded settings at start-up
		}
		if p.req.PollIntervalMs != nil {
			rs.pollIntervalMs = *p.req.PollIntervalMs
		}
	}
	// StatusService.SyncStatus queues ClientConnected (with the new session
	// counted) and HealthStatusChanged before it computes the reply; the
	// web hook queue is in memory, so they fire even when the reply then
	// fails and the transaction rolls the session back (below).
	hooked := *rs
	hooked.hostname, hooked.ipAddress, hooked.req = requesterHost(r), hostOnly(r.RemoteAddr), p.req
	if isNew {
		s.clientStatusHooks(g.name, row, &hooked, connected, len(row.sessions)+1)
	}
	if rs.healthDiffers(p.req.Health) {
		s.healthChangedHooks(g.name, row, &hooked, p.req.Health)
	}
	if update && p.lastSettingUpdate.Before(minDateTimePlusSecond) {
		// StatusService.GetChangedSettingNames (src/api/Fig.Api/Services/StatusService.cs)
		// computes startTime.AddSeconds(-1) from the request's LastSettingUpdate:
		// on DateTime.MinValue that throws ArgumentOutOfRangeException, which
		// ErrorHandlerMiddleware (src/api/Fig.Api/Middleware/ErrorHandlerMiddleware.cs)
		// maps to 400, and TransactionMiddleware rolls back the whole request,
		// so a new run session is never stored and an existing one is not
		// updated. (The web hooks queued above still fire.)
		writeFigError(w, http.StatusBadRequest, addSecondsOutOfRange)
		return
	}
	if isNew {
		row.sessions = append(row.sessions, rs)
	}
	rs.lastSeen = now
	rs.statuses++
	rs.hostname, rs.ipAddress = hooked.hostname, hooked.ipAddress
	rs.req = p.req
	rs.noteHealth(p.req.Health)
	rs.lastSettingUpdate = p.lastSettingUpdate
	rs.raw = body

	poll := rs.pollIntervalMs
	if s.cfg.PollIntervalOverride != nil {
		poll = *s.cfg.PollIntervalOverride
	}
	e := &wire{nulls: s.opts.Fig3}
	o := e.object(typeStatus)
	o.boolean("settingUpdateAvailable", update)
	o.double("pollIntervalMs", poll)
	o.boolean("allowOfflineSettings", s.cfg.AllowOfflineSettings)
	o.boolean("restartRequested", rs.restartRequested)
	if update {
		o.strings("changedSettings", s.changedNames(g.name, row.instance, p.lastSettingUpdate, row.lastValueUpdate))
	} else {
		o.null("changedSettings")
	}
	o.close()
	writeJSON(w, e.b)
}

// minDateTimePlusSecond is .NET's DateTime.MinValue plus one second: the
// earliest LastSettingUpdate whose AddSeconds(-1) Fig can compute.
var minDateTimePlusSecond = time.Time{}.Add(time.Second)

// addSecondsOutOfRange is the message of the ArgumentOutOfRangeException
// .NET's DateTime.AddSeconds throws below DateTime.MinValue.
const addSecondsOutOfRange = "The added or subtracted value results in an un-representable DateTime. (Parameter 'value')"

// requesterHost is Fig's requester hostname: the Fig_Hostname header, else
// the request's host.
func requesterHost(r *http.Request) string {
	if h := r.Header.Get("Fig_Hostname"); h != "" {
		return h
	}
	return hostOnly(r.Host)
}

// hostOnly strips the port from a Host header, as Request.Host.Host does.
func hostOnly(hostport string) string {
	for i := len(hostport) - 1; i >= 0; i-- {
		switch hostport[i] {
		case ':':
			return hostport[:i]
		case ']':
			return hostport
		}
	}
	return hostport
}
