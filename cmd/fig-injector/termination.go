package main

import (
	"errors"
	"os"
)

// terminationLog is where the kubelet reads a container's termination
// message (the injected containers' terminationMessagePath).
const terminationLog = "/dev/termination-log"

// maxTerminationMessage is the kubelet's limit for one container's message.
const maxTerminationMessage = 4096

// writeTerminationMessage leaves the agent's one-line reason for failing
// where the kubelet shows it (`kubectl describe pod`, the pod's status),
// instead of the log tail the FallbackToLogsOnError policy would take. It
// writes only to a file that exists: the kubelet mounts one into every
// container, and outside a pod nothing is created.
func writeTerminationMessage(path string, err error) {
	if err == nil || errors.Is(err, errUsage) {
		return
	}
	f, openErr := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if openErr != nil {
		return // not in a pod; the message is on stderr as always
	}
	_, _ = f.WriteString(bound("fig-injector: "+err.Error(), maxTerminationMessage))
	_ = f.Close()
}
