//go:build !agentonly

package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/fig-injector/fig-injector/injector/relay/kvwatch"
	"github.com/fig-injector/fig-injector/injector/relay/server"
)

// runRelay is `fig-injector relay`: Fig web hooks in, agents' wake-ups
// out (issue 14). All logic lives in injector/relay; this only maps flags.
func runRelay(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("relay", stderr)
	var cfg server.Config
	var lf logFlags
	fs.StringVar(&cfg.Listen, "listen", ":8443", "HTTPS address of Fig's web hooks (/fig/…), /v1/subscribe, /healthz, /readyz and /metrics")
	fs.StringVar(&cfg.CertFile, "tls-cert-file", "", "serving certificate (PEM), re-read when it changes")
	fs.StringVar(&cfg.KeyFile, "tls-key-file", "", "serving key (PEM), re-read when it changes")
	fs.StringVar(&cfg.HookSecretHashFile, "webhook-secret-hash-file", "", "file holding the hashed web hook secret Fig's web UI shows ($2a$11$…)")
	fs.StringVar(&cfg.Audience, "audience", "fig-injector-relay", "audience of the subscribers' projected service-account tokens")
	fs.StringVar(&cfg.Kubeconfig, "kubeconfig", "", "kubeconfig for TokenReviews and pod reads (default: in-cluster)")
	fs.DurationVar(&cfg.VaultInterval, "vault-interval", kvwatch.DefaultInterval, "how often each subscribed vault is listed")
	fs.StringVar(&cfg.CAFile, "ca-file", "", "extra trusted CAs (PEM) for Entra ID and Key Vault")
	fs.BoolVar(&cfg.DisableInstanceDiscovery, "disable-instance-discovery", false, "skip Entra instance discovery (air-gapped clouds, emulators)")
	fs.BoolVar(&cfg.DisableChallengeResourceVerification, "disable-challenge-resource-verification", false, "accept vaults outside Azure's Key Vault DNS suffixes (emulators only)")
	fs.StringVar(&cfg.Peers.Service, "peer-service", "", "headless Service of the relay's replicas: hooks are forwarded to its other ready endpoints (default: one replica, no forwarding)")
	fs.StringVar(&cfg.Peers.Namespace, "namespace", "", "the relay's namespace (with --peer-service)")
	fs.StringVar(&cfg.Peers.ServiceAccount, "service-account", "", "the relay's ServiceAccount, the only identity whose forwards are accepted (with --peer-service)")
	fs.StringVar(&cfg.Peers.PodIP, "pod-ip", "", "this replica's pod IP, left out of the peers (with --peer-service)")
	fs.StringVar(&cfg.Peers.PodName, "pod-name", "", "this replica's pod name, its identity in the Lease (with --peer-service)")
	fs.StringVar(&cfg.Peers.LeaseName, "lease-name", "fig-injector-relay", "the coordination.k8s.io Lease in --namespace whose holder lists Key Vault for all replicas (with --peer-service)")
	fs.StringVar(&cfg.Peers.TokenFile, "token-file", "", "this replica's projected token for --audience, sent with forwards (with --peer-service)")
	fs.StringVar(&cfg.Peers.CAFile, "peer-ca-file", "", "CA (PEM) of the relay's serving certificate, to verify peers (with --peer-service)")
	fs.StringVar(&cfg.Peers.ServerName, "peer-server-name", "", "a DNS name in the relay's serving certificate, checked on peers (with --peer-service)")
	fs.StringVar(&cfg.OfflineNamespace, "offline-namespace", "", "keep the agents' encrypted offline copies of their Fig settings as Secrets in this namespace, the relay's own (default: none; agents then start only with Fig up)")
	fs.DurationVar(&cfg.OfflineRetention, "offline-retention", 30*24*time.Hour, "delete an offline copy no pod has uploaded for this long (a client that is gone; running agents upload theirs at least daily); 0 keeps copies for ever, else at least 48h")
	lf.register(fs, "json", "info")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"--tls-cert-file", cfg.CertFile}, {"--tls-key-file", cfg.KeyFile}, {"--webhook-secret-hash-file", cfg.HookSecretHashFile}} {
		if f.v == "" {
			fmt.Fprintf(stderr, "fig-injector relay: %s is required\n", f.name)
			return errUsage
		}
	}
	log, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	return server.Run(ctx, cfg, log)
}
