package azure_test

import (
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/azure"
	"github.com/fig-injector/fig-injector/injector/dev/devca"
)

// TestClientOptionsRetries drives a plain azcore pipeline built from
// ClientOptions against a TLS server answering a scripted status sequence.
func TestClientOptionsRetries(t *testing.T) {
	tests := []struct {
		name       string
		statuses   []int  // answered in order; the last repeats
		header     string // retry header sent with every failure
		value      string
		wantStatus int   // final status (error's StatusCode when not 200)
		wantTries  int32 // requests the server saw
	}{
		{"503 twice then OK", []int{503, 503, 200}, "retry-after-ms", "10", 200, 3},
		{"503 forever gives up after 2 retries", []int{503}, "retry-after-ms", "10", 503, 3},
		{"429 with a short Retry-After is retried", []int{429, 200}, "retry-after-ms", "10", 200, 2},
		{"429 with Retry-After 120 surfaces at once", []int{429}, "Retry-After", "120", 429, 1},
		{"429 with Retry-After above MaxRetryDelay surfaces at once", []int{429}, "Retry-After", strconv.Itoa(int(azure.MaxRetryDelay/time.Second) + 1), 429, 1},
		{"404 is not retried", []int{404}, "", "", 404, 1},
	}
	ca, err := devca.New()
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: ca.ClientTLSConfig()}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tries atomic.Int32
			srv := serveTLS(t, ca, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				n := int(tries.Add(1))
				status := tt.statuses[min(n, len(tt.statuses))-1]
				if status != 200 && tt.header != "" {
					w.Header().Set(tt.header, tt.value)
				}
				w.WriteHeader(status)
			}))
			opts := azure.ClientOptions(hc)
			pl := runtime.NewPipeline("figtest", "v0.0.0", runtime.PipelineOptions{}, &opts)
			req, err := runtime.NewRequest(testContext(t), http.MethodGet, srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := pl.Do(req)
			if err == nil && !runtime.HasStatusCode(resp, 200) {
				err = runtime.NewResponseError(resp)
			}
			status := 200
			var re *azcore.ResponseError
			if errors.As(err, &re) {
				status = re.StatusCode
				if tt.header != "" && re.RawResponse.Header.Get(tt.header) != tt.value {
					t.Errorf("the error's response lost %s: %q", tt.header, re.RawResponse.Header.Get(tt.header))
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]any{tt.wantStatus, tt.wantTries}, []any{status, tries.Load()}); diff != "" {
				t.Errorf("status, tries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClientOptionsTransportAndTelemetry(t *testing.T) {
	hc := &http.Client{}
	o := azure.ClientOptions(hc)
	if o.Transport != hc {
		t.Error("Transport is not the given client")
	}
	if o.Telemetry.ApplicationID != azure.ApplicationID {
		t.Errorf("ApplicationID = %q", o.Telemetry.ApplicationID)
	}
	if o := azure.ClientOptions(nil); o.Transport != nil {
		t.Error("nil client must leave the SDK default transport")
	}
}
