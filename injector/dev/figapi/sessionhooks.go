package figapi

import (
	"encoding/json"
	"slices"
)

// The web hooks of run sessions, as Fig sends them:
//
//   - ClientStatusChanged: a new run session (StatusService.SyncStatus →
//     WebHookDisseminationService.ClientConnected) and an expired one being
//     removed (SessionCleanupService.RemoveExpiredSessionsAsync →
//     ClientDisconnected, called before the removal). Payload:
//     src/common/Fig.WebHooks.Contracts/ClientStatusChangedDataContract.cs,
//     built by WebHookProcessorWorker.CreateClientConnectedContract and
//     CreateClientDisconnectedContract from the session.
//   - MinRunSessions: with each of those, per matching web hook, when the
//     client row's session count crosses the hook's MinSessions
//     (WebHookDisseminationService.CheckForMinimumRestored, counting the
//     new session, and CheckForBelowMinimum, reporting the count after the
//     removal). Payload: MinRunSessionsDataContract.cs.
//   - HealthStatusChanged: a status whose health differs from the
//     session's last (StatusService.SyncStatus). Payload:
//     ClientHealthChangedDataContract.cs with HealthDetails.cs and
//     ComponentHealthDetails.cs, statuses converted by
//     Converters/WebHookHealthConverter.cs, which throws for Unknown and
//     Uninitialized: the worker logs the exception and sends nothing.
//
// SecurityEvent (UserService logins) is not emulated: the emulator has no
// users. The Link of these types is Fig's web address + "clients"
// (WebHookProcessorWorker.GetUri).

// Web hook types of run sessions, named as Fig's routes.
const (
	WebHookClientStatusChanged = "ClientStatusChanged"
	WebHookMinRunSessions      = "MinRunSessions"
	WebHookHealthStatusChanged = "HealthStatusChanged"
)

// connectionEvent is Fig's ConnectionEvent (ConnectionEvent.cs).
type connectionEvent int

const (
	connected connectionEvent = iota
	disconnected
)

// RunSessionsEvent values (RunSessionsEvent.cs).
const (
	belowMinimum    = 0
	minimumRestored = 1
)

const clientsLink = figWebAddress + "clients"

// clientStatusChangedContract is ClientStatusChangedDataContract, fields
// in declaration order as Newtonsoft writes them.
type clientStatusChangedContract struct {
	ClientName         string
	Instance           *string
	ConnectionEvent    connectionEvent
	StartTime          string
	IpAddress          *string
	Hostname           *string
	FigVersion         *string
	ApplicationVersion *string
	Link               string
	IsTest             bool
}

// minRunSessionsContract is MinRunSessionsDataContract.
type minRunSessionsContract struct {
	ClientName       string
	Instance         *string
	RunSessions      int
	RunSessionsEvent int
	Link             string
	IsTest           bool
}

// clientHealthChangedContract is ClientHealthChangedDataContract.
type clientHealthChangedContract struct {
	ClientName         string
	Instance           *string
	Hostname           *string
	IpAddress          *string
	Status             healthStatus
	FigVersion         *string
	ApplicationVersion *string
	HealthDetails      healthDetails
	Link               string
	IsTest             bool
}

// healthDetails is HealthDetails; componentHealth is ComponentHealthDetails.
type healthDetails struct {
	Status     healthStatus
	Components []componentHealth
}

type componentHealth struct {
	Name    *string
	Status  healthStatus
	Message *string
}

// clientStatusHooks queues ClientStatusChanged for a session connecting or
// disconnecting, and MinRunSessions where count (the row's sessions with
// the new one, or before the expired one goes) crosses a hook's minimum;
// s.mu is held.
func (s *Server) clientStatusHooks(client string, row *clientRow, rs *runSession, ev connectionEvent, count int) {
	body, _ := json.Marshal(clientStatusChangedContract{ClientName: client, Instance: nullable(row.instance), ConnectionEvent: ev,
		StartTime: formatDateTime(rs.startTime, zoneUTC), IpAddress: nullable(rs.ipAddress), Hostname: nullable(rs.hostname),
		FigVersion: rs.req.FigVersion, ApplicationVersion: rs.req.ApplicationVersion, Link: clientsLink})
	s.matchingHooks(WebHookClientStatusChanged, client, func(c compiledClient, _ compiledHook) {
		s.queueHook(pendingHook{client: c, typ: WebHookClientStatusChanged, body: body})
	})
	s.matchingHooks(WebHookMinRunSessions, client, func(c compiledClient, h compiledHook) {
		event, reported := -1, count
		switch {
		case ev == connected && count >= h.minSessions && count-1 < h.minSessions:
			event = minimumRestored
		case ev == disconnected && count >= h.minSessions && count-1 < h.minSessions:
			event, reported = belowMinimum, count-1
		}
		if event < 0 {
			return
		}
		body, _ := json.Marshal(minRunSessionsContract{ClientName: client, Instance: nullable(row.instance), RunSessions: reported,
			RunSessionsEvent: event, Link: clientsLink})
		s.queueHook(pendingHook{client: c, typ: WebHookMinRunSessions, body: body})
	})
}

// healthChangedHooks queues HealthStatusChanged for a session's new health
// h (not nil); s.mu is held. A status Fig's converter cannot map (Unknown,
// Uninitialized) sends nothing, as the exception does in Fig.
func (s *Server) healthChangedHooks(client string, row *clientRow, rs *runSession, h *wireHealth) {
	details := healthDetails{Status: h.Status, Components: []componentHealth{}}
	convertible := h.Status <= healthUnhealthy
	for _, c := range h.Components {
		details.Components = append(details.Components, componentHealth{Name: c.Name, Status: c.Status, Message: c.Message})
		convertible = convertible && c.Status <= healthUnhealthy
	}
	if !convertible {
		s.matchingHooks(WebHookHealthStatusChanged, client, func(c compiledClient, _ compiledHook) {
			s.log.Warn("web hook not sent: Fig's WebHookHealthConverter cannot convert Unknown or Uninitialized", "client", c.Name, "type", WebHookHealthStatusChanged)
		})
		return
	}
	body, _ := json.Marshal(clientHealthChangedContract{ClientName: client, Instance: nullable(row.instance), Hostname: nullable(rs.hostname),
		IpAddress: nullable(rs.ipAddress), Status: h.Status, FigVersion: rs.req.FigVersion, ApplicationVersion: rs.req.ApplicationVersion,
		HealthDetails: details, Link: clientsLink})
	s.matchingHooks(WebHookHealthStatusChanged, client, func(c compiledClient, _ compiledHook) {
		s.queueHook(pendingHook{client: c, typ: WebHookHealthStatusChanged, body: body})
	})
}

// healthUnhealthy is the last FigHealthStatus the converter maps.
const healthUnhealthy healthStatus = 2

// MarshalJSON writes a health status as the enum number Newtonsoft writes.
func (h healthStatus) MarshalJSON() ([]byte, error) { return json.Marshal(int(h)) }

// matchingHooks calls fn for each configured web hook of typ whose client
// regex matches client (WebHookBusinessEntityExtensions.IsMatch).
func (s *Server) matchingHooks(typ, client string, fn func(compiledClient, compiledHook)) {
	for _, c := range s.webHooks {
		for _, h := range c.hooks {
			if h.typ == typ && h.client.MatchString(client) {
				fn(c, h)
			}
		}
	}
}

// RemoveExpiredSessions removes the run sessions that have expired, as one
// pass of Fig's session clean-up (RunSessionCleanup runs it on Fig's
// schedule), firing ClientStatusChanged (disconnected) and MinRunSessions
// for each before its removal. It returns how many it removed.
func (s *Server) RemoveExpiredSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	removed := 0
	for _, g := range s.clients {
		for _, row := range g.rows {
			for _, rs := range slices.Clone(row.sessions) {
				if !rs.expired(now) {
					continue
				}
				s.clientStatusHooks(g.name, row, rs, disconnected, len(row.sessions))
				row.sessions = slices.DeleteFunc(row.sessions, func(x *runSession) bool { return x == rs })
				removed++
			}
		}
	}
	return removed
}
