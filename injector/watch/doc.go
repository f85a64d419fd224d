// Package watch tells the agent when a file it depends on (its config, a
// template, the client-secret file, an output file) may have changed.
//
// It watches directories, never the files themselves. Kubernetes projects
// ConfigMap and Secret volumes with an atomic writer: each file is a symlink
// through "..data", and an update writes a new timestamped directory and
// renames a new "..data" symlink over the old one. A watch on the file would
// follow the old inode and go quiet after the first update; a watch on the
// directory sees the swap. Watching the directory also keeps a file watched
// after it is deleted and created again, or replaced by rename.
//
// A watched path is resolved through its symlinks, and every directory the
// resolution reads is watched (the file's own directory, the directories
// holding each symlink on the way, and the real file's directory), so a swap
// of any link on the way, or an in-place write to the real file, is reported
// as a change of the path that was added.
//
// Bursts are coalesced: all the filesystem events for one path within a short
// window become one Event. Events say only which path changed; comparing
// contents (is this really new?) is the caller's job, because the caller
// knows what it last read or wrote.
//
// Without an inotify instance (fs.inotify.max_user_instances is counted
// per UID across a node), a Watcher polls instead: every DefaultPollInterval
// it re-resolves each path and compares where it leads and the identity,
// size and modification time of the file there.
//
// Limitations: an intermediate directory that is not a symlink and is
// renamed away is not followed, and no events are delivered while the kernel
// queue overflows (every path is then reported once, so the caller re-reads).
package watch
