//go:build realnode

package realnode

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fig-injector/fig-injector/injector/dev/entra"
)

const tenantID = "8d2f0c1e-5b7a-4c3d-9e1f-2a3b4c5d6e7f" // the walkthrough seed's

// The in-cluster Entra ID emulator verifies federated assertions as Entra does, signature included,
// against this API server's OIDC discovery document and JWKS: a service-account token of demo/orders
// (what the kubelet projects into the agent, from the same signer) is exchanged; the same token with
// its payload changed, and an assertion signed with dev's published HS256 key, are refused. (Every
// mode test's pod got its secrets through this same check with the kubelet's own projected token.)
func TestEntraVerifiesTheClusterSignature(t *testing.T) {
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), "orders", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{Audiences: []string{entra.DefaultAudience}, ExpirationSeconds: ptr(int64(3600))},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest demo/orders: %v", err)
	}
	real := tr.Status.Token
	parts := strings.Split(real, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["jti"] = "forged"
	changed, _ := json.Marshal(claims)
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(changed) + "." + parts[2]
	minted := entra.MintAssertion(claims["iss"].(string), "system:serviceaccount:demo:orders", entra.DefaultAudience, time.Hour)

	for _, tc := range []struct {
		name, assertion, want string
	}{
		{"the cluster's token", real, `"access_token"`},
		{"payload changed after signing", forged, "AADSTS700027"},
		{"dev's HS256 assertion", minted, "AADSTS700027"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := exchange(t, tc.assertion)
			if !strings.Contains(body, tc.want) {
				t.Errorf("token endpoint answered %.300s; want %s", body, tc.want)
			}
		})
	}
}

// exchange posts a client-credentials request with a federated assertion to the in-cluster Entra ID
// emulator, through the API server's service proxy, and returns the body (errors are JSON bodies too).
func exchange(t *testing.T, assertion string) string {
	t.Helper()
	form := url.Values{
		"client_assertion":      {assertion},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_id":             {clientID},
		"grant_type":            {"client_credentials"},
		"scope":                 {"https://vault.azure.net/.default"},
	}
	res := cs.CoreV1().RESTClient().Post().AbsPath("/api/v1/namespaces/fig-dev/services/https:fig-dev:entra/proxy/"+tenantID+"/oauth2/v2.0/token").
		SetHeader("Content-Type", "application/x-www-form-urlencoded").Body([]byte(form.Encode())).Do(context.Background())
	raw, err := res.Raw()
	if len(raw) == 0 {
		t.Fatalf("token endpoint through the service proxy: %v", err)
	}
	return string(raw)
}
