//go:build !agentonly

package main

import (
	"context"
	"fmt"
	"io"

	"github.com/fig-injector/fig-injector/injector/webhook"
)

// runWebhook is `fig-injector webhook`: the mutating admission webhook of
// SPEC §3. All logic lives in injector/webhook; this only maps flags.
func runWebhook(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("webhook", stderr)
	var opts webhook.Options
	var lf logFlags
	fs.StringVar(&opts.Listen, "listen", ":8443", "HTTPS address of /mutate, /healthz, /readyz and /metrics")
	fs.StringVar(&opts.CertFile, "tls-cert-file", "", "serving certificate (PEM), re-read when it changes")
	fs.StringVar(&opts.KeyFile, "tls-key-file", "", "serving key (PEM), re-read when it changes")
	fs.StringVar(&opts.ConfigFile, "config", "", "webhook config file (YAML; the chart renders it)")
	fs.StringVar(&opts.Kubeconfig, "kubeconfig", "", "kubeconfig for reading ConfigMap configs (default: in-cluster)")
	fs.Int64Var(&opts.MemoryLimit, "memory-limit", 0, "the container's memory limit in bytes (the chart passes it from the Downward API); reviews in flight are bounded to fit it (default: the container's cgroup limit, else GOMEMLIMIT, else 128Mi)")
	lf.register(fs, "json", "info")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"--tls-cert-file", opts.CertFile}, {"--tls-key-file", opts.KeyFile}, {"--config", opts.ConfigFile}} {
		if f.v == "" {
			fmt.Fprintf(stderr, "fig-injector webhook: %s is required\n", f.name)
			return errUsage
		}
	}
	log, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	if opts.MemoryLimit == 0 {
		// The same cgroup reading as the agent's (memlimit.go), so a
		// webhook run without the chart's flag still knows its limit.
		if limit, ok, err := containerMemoryLimit(cgroupRoot); err != nil {
			log.Warn("cannot read the container's memory limit", "error", err.Error())
		} else if ok {
			opts.MemoryLimit = limit
		}
	}
	return webhook.Run(ctx, opts, log)
}
