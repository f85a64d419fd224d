//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/fig-injector/fig-injector/injector/dev"
)

// The identities, tenant and values the emulators serve. The federated
// credentials match the tokens the real API server issues for the
// namespace's default ServiceAccount (TokenRequest, as the kubelet does).
const (
	e2eTenant        = "00000000-0000-0000-0000-0000000000e1"
	addWIClientID    = "00000000-0000-0000-0000-0000000000c1" // Settings.AzureClientID (our own identity)
	azureClientID    = "00000000-0000-0000-0000-0000000000a1" // what the Azure stand-in injects
	figClientSecret  = "e2e-client-secret-0123456789-abcdefghij"
	figDatabaseHost  = "db.e2e.local"
	vaultOrdersValue = "Server=db;Password=from-key-vault"
	vaultName        = "orders-kv"
)

var seed = fmt.Sprintf(`
tenantId: %[1]s
fig:
  clients:
    - name: OrderService
      secret: %[2]s
      settings:
        - name: Database->Host
          value: %[3]s
keyVaults:
  - name: %[5]s
    secrets:
      - name: OrderService--ConnectionStrings--Orders
        value: "%[4]s"
identities:
  - clientId: %[6]s
    issuer: https://kubernetes.default.svc.cluster.local
    subject: system:serviceaccount:%[8]s:default
  - clientId: %[7]s
    issuer: https://kubernetes.default.svc.cluster.local
    subject: system:serviceaccount:%[8]s:default
`, e2eTenant, figClientSecret, figDatabaseHost, vaultOrdersValue, vaultName, addWIClientID, azureClientID, restrictedNS)

// startEmulators runs the Fig, Entra ID and Key Vault emulators of
// `fig-injector dev` (package dev) on loopback, with their own CA.
func (e *environment) startEmulators(ctx context.Context) (emulatorURLs, error) {
	logFile, err := os.Create(filepath.Join(e.dir, "dev.log"))
	if err != nil {
		return emulatorURLs{}, err
	}
	d, err := dev.Start(ctx, dev.Options{
		Dir:    filepath.Join(e.dir, "dev"),
		Seed:   []byte(seed),
		Logger: slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		logFile.Close()
		return emulatorURLs{}, err
	}
	e.dev = d
	e.closers = append(e.closers, func() { _ = d.Close(); logFile.Close() })
	return emulatorURLs{fig: d.FigURL, entra: d.EntraURL, keyVault: d.VaultURLs[vaultName]}, nil
}
