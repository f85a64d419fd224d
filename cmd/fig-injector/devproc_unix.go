//go:build unix && !linux && !agentonly

package main

import "syscall"

// ownProcessGroup starts a child in its own process group, so that a
// terminal's Ctrl-C reaches only fig-injector dev, which then stops the
// child with SIGTERM as the kubelet would, once.
func ownProcessGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
