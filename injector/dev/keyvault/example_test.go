package keyvault_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/fig-injector/fig-injector/injector/dev/devca"
	"github.com/fig-injector/fig-injector/injector/dev/entra"
	"github.com/fig-injector/fig-injector/injector/dev/keyvault"
)

// Example wires the three dev packages together and reads a secret with the
// real Azure SDK, the way `fig-injector dev` and the tests do.
func Example() {
	const tenant, client = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
	const issuer, subject = "https://kubernetes.default.svc", "system:serviceaccount:shop:orders"

	// Server side: a CA, the Entra emulator with one federated credential,
	// and a vault that accepts the Entra emulator's tokens.
	ca := must(devca.New())
	idp := entra.New(entra.Options{})
	check(idp.AddFederatedCredential(entra.FederatedCredential{TenantID: tenant, ClientID: client, Issuer: issuer, Subject: subject}))
	vault := must(keyvault.New(keyvault.Options{Name: "myvault", TenantID: tenant, Validator: idp}))
	must(vault.SetSecret("db-password", "s3cr3t"))
	entraURL, stopEntra := serve(ca, idp)
	defer stopEntra()
	vaultURL, stopVault := serve(ca, vault)
	defer stopVault()

	// Client side: the projected token a kubelet would write, and the SDK
	// trusting only the dev CA.
	dir := must(os.MkdirTemp("", "example"))
	defer os.RemoveAll(dir)
	tokenPath := filepath.Join(dir, "azure-identity-token")
	check(os.WriteFile(tokenPath, []byte(entra.MintAssertion(issuer, subject, entra.DefaultAudience, time.Hour)), 0o600))
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientTLSConfig()}}
	cred := must(azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Transport: hc, Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: entraURL}},
		ClientID:                 client,
		TenantID:                 tenant,
		TokenFilePath:            tokenPath,
		DisableInstanceDiscovery: true,
	}))
	secrets := must(azsecrets.NewClient(vaultURL, cred, &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: hc},
		DisableChallengeResourceVerification: true,
	}))
	resp := must(secrets.GetSecret(context.Background(), "db-password", "", nil))
	fmt.Println(*resp.Value)
	// Output: s3cr3t
}

// serve runs h over TLS with a devca leaf; it returns the base URL with a
// trailing slash and a stop function.
func serve(ca *devca.CA, h http.Handler) (string, func()) {
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = must(ca.TLSConfig())
	srv.StartTLS()
	return srv.URL + "/", srv.Close
}

func must[T any](v T, err error) T {
	check(err)
	return v
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
