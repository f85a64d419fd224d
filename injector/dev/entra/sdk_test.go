package entra_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/fig-injector/fig-injector/injector/dev/entra"
)

// fastRetry keeps retried failures in milliseconds instead of seconds.
var fastRetry = policy.RetryOptions{MaxRetries: 2, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond}

func TestWorkloadIdentityCredentialGetsAndCachesToken(t *testing.T) {
	r := newRig(t, entra.Options{})
	assertion := entra.MintAssertion(issuer, subject, entra.DefaultAudience, time.Hour)
	cred := r.credential(t, assertion, fastRetry)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var first string
	for i := range 5 {
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{vaultScop}, EnableCAE: true})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = tok.Token
		} else if tok.Token != first {
			t.Fatalf("GetToken #%d returned a different token: the SDK did not cache it", i+1)
		}
		if until := time.Until(tok.ExpiresOn); until < 59*time.Minute || until > time.Hour {
			t.Errorf("ExpiresOn in %v, want about 1h", until)
		}
	}
	if !r.srv.ValidToken(first, tenantID, vaultRes) {
		t.Error("token from the SDK is not valid at the emulator")
	}
	for route, want := range map[string]int{entra.RouteOpenID: 1, entra.RouteToken: 1, entra.RouteDiscovery: 0} {
		if got := r.srv.Requests(route); got != want {
			t.Errorf("Requests(%s) = %d, want %d", route, got, want)
		}
	}

	events := r.events.All()
	var tokenEvents []entra.Event
	for _, e := range events {
		if e.Route == entra.RouteToken {
			tokenEvents = append(tokenEvents, e)
		}
	}
	if len(tokenEvents) != 1 {
		t.Fatalf("token events = %d, want 1", len(tokenEvents))
	}
	e := tokenEvents[0]
	if !e.HasAssertion || !e.HasClaims || !e.TokenIssued || e.Status != 200 || e.ClientID != clientID || e.Tenant != tenantID ||
		e.Scope != vaultScop+" openid offline_access profile" {
		t.Errorf("token event = %+v", e)
	}
	// Neither the assertion nor the token may reach logs or events; both are
	// base64 JSON and so start with "eyJ".
	recorded := r.logs.String() + fmt.Sprintf("%+v", events)
	for name, s := range map[string]string{"assertion": assertion, "token": first, "any JWT": "eyJ"} {
		if strings.Contains(recorded, s) {
			t.Errorf("%s recorded in logs or events", name)
		}
	}
}

func TestWorkloadIdentityCredentialWrongSubject(t *testing.T) {
	r := newRig(t, entra.Options{})
	cred := r.credential(t, entra.MintAssertion(issuer, "system:serviceaccount:shop:intruder", entra.DefaultAudience, time.Hour), fastRetry)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{vaultScop}})
	var authErr *azidentity.AuthenticationFailedError
	if !errors.As(err, &authErr) {
		t.Fatalf("error = %v, want *azidentity.AuthenticationFailedError", err)
	}
	if authErr.RawResponse == nil || authErr.RawResponse.StatusCode != http.StatusBadRequest {
		t.Errorf("RawResponse = %v, want status 400", authErr.RawResponse)
	}
	if !strings.Contains(err.Error(), "AADSTS700213") || !strings.Contains(err.Error(), "system:serviceaccount:shop:intruder") {
		t.Errorf("error text lacks AADSTS700213 and the subject:\n%v", err)
	}
	if got := r.srv.Requests(entra.RouteToken); got != 1 {
		t.Errorf("Requests(token) = %d, want 1 (400 is not retried)", got)
	}
}

func TestFaultsOnTokenEndpoint(t *testing.T) {
	tests := []struct {
		name       string
		fault      entra.Fault
		wantErr    bool
		wantPOSTs  int
		wantStatus int // of the failed attempt, via events
	}{
		{"503 once is retried", entra.Fault{Status: http.StatusServiceUnavailable, Times: 1}, false, 2, http.StatusServiceUnavailable},
		{"429 always exhausts retries", entra.Fault{Status: http.StatusTooManyRequests}, true, 3, http.StatusTooManyRequests},
		{"delay only", entra.Fault{Delay: 20 * time.Millisecond, Times: 1}, false, 1, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, entra.Options{})
			r.srv.Inject(entra.RouteToken, tt.fault)
			cred := r.credential(t, entra.MintAssertion(issuer, subject, entra.DefaultAudience, time.Hour), fastRetry)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{vaultScop}})
			if (err != nil) != tt.wantErr {
				t.Fatalf("GetToken error = %v, want error %v", err, tt.wantErr)
			}
			if got := r.srv.Requests(entra.RouteToken); got != tt.wantPOSTs {
				t.Errorf("Requests(token) = %d, want %d", got, tt.wantPOSTs)
			}
			var first *entra.Event
			for _, e := range r.events.All() {
				if e.Route == entra.RouteToken {
					first = &e
					break
				}
			}
			if first == nil || !first.Fault || first.Status != tt.wantStatus {
				t.Errorf("first token event = %+v, want fault with status %d", first, tt.wantStatus)
			}
		})
	}
}

func TestClearFaults(t *testing.T) {
	r := newRig(t, entra.Options{})
	r.srv.Inject(entra.RouteOpenID, entra.Fault{Status: http.StatusInternalServerError})
	if status, _ := r.get(t, "/"+tenantID+"/v2.0/.well-known/openid-configuration"); status != 500 {
		t.Fatalf("status = %d, want injected 500", status)
	}
	r.srv.ClearFaults()
	if status, _ := r.get(t, "/"+tenantID+"/v2.0/.well-known/openid-configuration"); status != 200 {
		t.Fatalf("status after ClearFaults = %d, want 200", status)
	}
}
