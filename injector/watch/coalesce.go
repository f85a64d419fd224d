package watch

import "time"

// coalescer turns a burst of events for a path into one. A path becomes due
// one window after its first event; events for it until then are absorbed.
// The window is fixed from the first event rather than restarted by each one,
// so a file that is written continuously is still reported every window.
// Time is passed in, so the rules are tested without a clock.
type coalescer struct {
	window time.Duration
	order  []string             // pending paths, first seen first
	due    map[string]time.Time // pending path → when it is due
}

func newCoalescer(window time.Duration) *coalescer {
	return &coalescer{window: window, due: make(map[string]time.Time)}
}

// add records an event for path at now.
func (c *coalescer) add(path string, now time.Time) {
	if _, ok := c.due[path]; ok {
		return
	}
	c.due[path] = now.Add(c.window)
	c.order = append(c.order, path)
}

// next returns when the earliest pending path is due; ok is false when
// nothing is pending.
func (c *coalescer) next() (at time.Time, ok bool) {
	if len(c.order) == 0 {
		return time.Time{}, false
	}
	return c.due[c.order[0]], true
}

// take removes and returns the paths due at now, first seen first. Every
// path has the same window, so first seen is also first due.
func (c *coalescer) take(now time.Time) []string {
	n := 0
	for n < len(c.order) && !c.due[c.order[n]].After(now) {
		delete(c.due, c.order[n])
		n++
	}
	out := c.order[:n:n]
	c.order = c.order[n:]
	return out
}
