// Package notify tells the application that a changed file is in place, so
// it reloads without a restart: by a signal to its process (Signal), by an
// HTTP POST to a reload endpoint (HTTP), or both (Multi).
//
// The agent calls a Notifier only after a write that changed bytes (the
// writer's "changed" result) and once per coalesced batch of changes, never
// once per source event.
package notify
