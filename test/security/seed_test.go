package security

import (
	"strings"
	"testing"
)

// Known secret values. Each is distinctive enough that any appearance in a
// scanned stream is a leak, never a coincidence.
const (
	figClientSecret   = "SENTINEL-fig-client-secret-7c1e9a4b2d6f8e0a"
	figSecretSetting  = "SENTINEL-fig-secret-setting-51d3"
	kvPrefixSecret    = "SENTINEL-kv-prefix-secret-a9f2"
	kvReferenced      = "SENTINEL-kv-referenced-secret-3be8"
	kvRotated         = "SENTINEL-kv-rotated-secret-e04c"
	kvMapped          = "SENTINEL-kv-mapped-secret-77aa"
	wrongClientSecret = "SENTINEL-wrong-client-secret-0b9d8c7e6f5a4"
)

// sentinels are every value that must never leak; the federated token is
// added at run time.
func sentinels() []string {
	return []string{figClientSecret, figSecretSetting, kvPrefixSecret, kvReferenced, kvRotated, kvMapped, wrongClientSecret}
}

// seed is the emulators' state: one Fig client whose settings hold a
// secret value and a Key Vault reference, and one vault with a prefix
// secret, the referenced secret and one for an explicit mapping.
var seed = []byte(`tenantId: 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f
fig:
  clients:
    - name: OrderService
      secret: ` + figClientSecret + `
      settings:
        - name: Location
          type: string
          value: Amsterdam
        - name: SmtpPassword
          type: string
          secret: true
          value: ` + figSecretSetting + `
        - name: PaymentApiKey
          type: string
          secret: true
          value: "@Microsoft.KeyVault(VaultName=orders-kv;SecretName=api-key)"
keyVaults:
  - name: orders-kv
    secrets:
      - name: OrderService--ConnectionStrings--Orders
        value: ` + kvPrefixSecret + `
      - name: api-key
        value: ` + kvReferenced + `
      - name: mapped-secret
        value: ` + kvMapped + `
identities:
  - clientId: 2b7c9e4d-1f3a-4e6b-8c5d-7a9f0e1d2c3b
    issuer: https://kubernetes.default.svc.cluster.local
    subject: system:serviceaccount:shop:orders
`)

// scan fails the test for every sentinel found in text, naming the stream
// but never printing the text around it.
func scan(t *testing.T, stream, text string, values []string) {
	t.Helper()
	if text == "" {
		return
	}
	for _, v := range values {
		if strings.Contains(text, v) {
			t.Errorf("%s contains the secret value %.18s…", stream, v)
		}
	}
}
