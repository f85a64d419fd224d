// Package devenv starts the product's emulators for a test or benchmark and
// loads the agent configuration dev wrote for them: the setup that the
// agent's tests, the fault, security and benchmark suites all begin with.
// (It cannot live in internal/testutil, which the emulators' own tests
// import.)
package devenv

import (
	"context"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/fig-injector/fig-injector/injector/azure"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/transport"
)

// Start starts the emulators with opts, in a temporary directory and with
// the agent's status listener on a free port unless opts say otherwise,
// stops them when the test ends, and returns them with the agent
// configuration dev wrote (read with no environment, status listener off).
func Start(tb testing.TB, opts dev.Options) (*dev.Env, *config.Config) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	if opts.Dir == "" {
		opts.Dir = tb.TempDir()
	}
	if opts.AgentListen == "" {
		opts.AgentListen = "127.0.0.1:0"
	}
	env, err := dev.Start(ctx, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = env.Close() })
	cfg, err := config.Load(env.AgentConfigPath, func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Listen = ""
	return env, cfg
}

// Identity returns the workload-identity credential of cfg (the seed's
// identity, through azure.NewCredential as the agent builds it) and the
// HTTP client trusting the emulators' CA: what a component with its own
// Key Vault identity, such as the relay, uses against the emulators.
func Identity(tb testing.TB, cfg *config.Config) (azcore.TokenCredential, *http.Client) {
	tb.Helper()
	hc, err := transport.New(transport.Options{CAFile: cfg.TLS.CAFile})
	if err != nil {
		tb.Fatal(err)
	}
	cred, err := azure.NewCredential(azure.Options{ClientID: cfg.Azure.ClientID, TenantID: cfg.Azure.TenantID,
		TokenFile: cfg.Azure.TokenFile, AuthorityHost: cfg.Azure.AuthorityHost, DisableInstanceDiscovery: true, HTTPClient: hc})
	if err != nil {
		tb.Fatal(err)
	}
	return cred, hc
}
