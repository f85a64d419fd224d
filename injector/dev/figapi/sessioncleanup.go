package figapi

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/fig-injector/fig-injector/injector/clock"
)

// RunSessionCleanup removes expired run sessions on Fig's schedule until
// ctx ends, as Fig's SessionCleanupWorker does
// (src/api/Fig.Api/Workers/SessionCleanupWorker.cs): a first pass after a
// start-up delay, then one every interval, each calling
// RemoveExpiredSessions (SessionCleanupService.RemoveExpiredSessionsAsync),
// which sends the disconnect hooks. Fig removes sessions nowhere else: a
// status request removes none (StatusService.SyncStatus) and reads only
// skip expired ones (ClientStatusConverter, StatusService), so a
// pod that stops is reported disconnected on this schedule, up to the
// interval after its session expired (2 poll intervals + 50 ms after its
// last status, ClientRunSessionBusinessEntityExtensions.IsExpired).
//
// The delay and the interval are Options.SessionCleanupDelay and
// SessionCleanupInterval, or drawn as Fig draws them: the delay between 10
// and 59 s, the interval once between 60 and 299 s (Random.Next's upper
// bound is exclusive). c times the waits (nil: real time); tests pass the
// clock whose Now is Options.Now.
func (s *Server) RunSessionCleanup(ctx context.Context, c clock.Clock) {
	if c == nil {
		c = clock.Real{}
	}
	delay := s.opts.SessionCleanupDelay
	if delay <= 0 {
		delay = time.Duration(10+rand.IntN(50)) * time.Second
	}
	interval := s.opts.SessionCleanupInterval
	if interval <= 0 {
		interval = time.Duration(60+rand.IntN(240)) * time.Second
	}
	s.log.Info("session clean-up will run every interval, as Fig's SessionCleanupWorker", "first_in", delay.String(), "interval", interval.String())
	for wait := delay; ; wait = interval {
		timer, stop := c.Timer(wait)
		select {
		case <-ctx.Done():
			stop()
			return
		case <-timer:
		}
		if n := s.RemoveExpiredSessions(); n > 0 {
			s.log.Info("expired run sessions removed", "sessions", n)
		}
	}
}
