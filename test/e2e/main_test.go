//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// E2E_KEEP=1 keeps the state directory (logs of etcd, kube-apiserver and
// the webhooks) after a passing run; after a failing run it is always kept.

// env is the environment TestMain builds once for every test: the cluster,
// our webhook (in-process, on loopback) and the stand-in webhooks, with
// their MutatingWebhookConfigurations installed and active.
var env *environment

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	assets, err := findAssets()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "fig-injector-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	code := 1
	defer func() {
		if code == 0 && os.Getenv("E2E_KEEP") == "" {
			os.RemoveAll(dir)
		} else {
			fmt.Fprintln(os.Stderr, "e2e: logs and state kept in", dir)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	t0 := time.Now()
	c, err := startCluster(ctx, assets, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start cluster:", err)
		return 1
	}
	defer c.stop()
	fmt.Fprintf(os.Stderr, "e2e: etcd + kube-apiserver ready in %s at %s\n", time.Since(t0).Round(time.Millisecond), c.apiURL)

	env = &environment{cluster: c, assets: assets, dir: dir}
	if err := env.setup(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: setup:", err)
		env.teardown()
		return 1
	}
	code = m.Run()
	env.teardown()
	return code
}
