package webhook

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

// The shell answers in the AdmissionReview version it was asked in, with
// the request's UID: the API server rejects anything else.
func TestReviewAnswersInTheVersionAsked(t *testing.T) {
	s := startServer(t, testConfig, nil)
	for _, version := range []string{"admission.k8s.io/v1", "admission.k8s.io/v1beta1"} {
		t.Run(version, func(t *testing.T) {
			body := strings.Replace(string(review(t, newPod(clientName, "OrderService", clientSecret, "s/k"), admissionv1.Create)),
				`"apiVersion":"admission.k8s.io/v1"`, `"apiVersion":"`+version+`"`, 1)
			r, err := s.client.Post(s.url+"/mutate", "application/json; charset=utf-8", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			var out admissionv1.AdmissionReview
			if err := json.NewDecoder(r.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			if out.APIVersion != version || out.Kind != "AdmissionReview" || out.Response == nil ||
				out.Response.UID != "uid-1" || !out.Response.Allowed || len(out.Response.Patch) == 0 {
				t.Errorf("answer %s %s, response %+v", out.Kind, out.APIVersion, out.Response)
			}
		})
	}
}

// A body that is not an AdmissionReview is a transport-level failure (HTTP
// 400, the failurePolicy decides), with a reason a human can act on.
func TestReviewRejectsWhatIsNotAReview(t *testing.T) {
	s := startServer(t, testConfig, nil)
	good := string(review(t, newPod(), admissionv1.Create))
	tests := []struct {
		name, contentType, body, reason string
	}{
		{"content type", "text/plain", good, `content type "text/plain", want application/json`},
		{"not JSON", "application/json", "{", "decode AdmissionReview"},
		{"another kind", "application/json", strings.Replace(good, `"kind":"AdmissionReview"`, `"kind":"Pod"`, 1), "want an AdmissionReview"},
		{"another version", "application/json", strings.Replace(good, `"apiVersion":"admission.k8s.io/v1"`, `"apiVersion":"admission.k8s.io/v2"`, 1), "want an AdmissionReview"},
		{"no request", "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, "has no request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := s.client.Post(s.url+"/mutate", tc.contentType, bytes.NewReader([]byte(tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			msg, _ := io.ReadAll(r.Body)
			if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), tc.reason) {
				t.Errorf("HTTP %d %q, want 400 with %q", r.StatusCode, msg, tc.reason)
			}
		})
	}
}
