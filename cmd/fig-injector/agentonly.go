//go:build agentonly

// The agent-only build (`go build -tags agentonly`, the fig-injector-agent
// image) leaves out the webhook, the relay and the emulators: the webhook's Kubernetes
// API types and the emulators would more than double the size and resident
// memory of the binary that every injected pod runs (SPEC §5). Their
// commands stay in the list and say where to find them.

package main

import (
	"context"
	"fmt"
	"io"
)

func runWebhook(context.Context, []string, io.Writer, io.Writer) error {
	return notInAgentBuild("webhook")
}

func runDev(context.Context, []string, io.Writer, io.Writer) error { return notInAgentBuild("dev") }

func runRelay(context.Context, []string, io.Writer, io.Writer) error { return notInAgentBuild("relay") }

func notInAgentBuild(command string) error {
	return fmt.Errorf("%s: this is the agent-only build (the fig-injector-agent image); "+
		"fix: run it from the full image, ghcr.io/fig-injector/fig-injector", command)
}
