package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
)

// maxReviewBytes bounds a request body whatever the memory limit. The API
// server refuses request bodies over 3 MiB and stores objects up to 1.5 MiB;
// a pod CREATE review carries the object once (no old object), so a real
// review stays below it. reviewLimits lowers it when the memory limit is
// small.
const maxReviewBytes = 3 << 20

// reviewVersions are the AdmissionReview versions the shell understands. The
// chart registers v1 only; v1beta1 has the same JSON shape, and answering in
// the version asked is what the API server requires.
var reviewVersions = map[string]bool{"admission.k8s.io/v1": true, "admission.k8s.io/v1beta1": true}

// reviewFunc answers one admission request (Handler.Review in production).
type reviewFunc func(context.Context, *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse

// serveReviews is the HTTP shell of the admission protocol: it decodes an
// AdmissionReview, hands its request to review, and answers with an
// AdmissionReview of the same version whose response carries the request's
// UID. A body that is not a review gets HTTP 400 with a plain-text reason
// (the API server then applies the failurePolicy); every decision about the
// pod, including "cannot decode the pod", is a review response.
func serveReviews(review reviewFunc, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		in, err := readReview(w, req)
		if err != nil {
			log.Warn("bad admission review", "error", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp := review(req.Context(), in.Request)
		resp.UID = in.Request.UID
		out := admissionv1.AdmissionReview{TypeMeta: in.TypeMeta, Response: resp}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(out); err != nil {
			log.Warn("write admission response", "error", err)
		}
	})
}

// readReview decodes and checks the request body.
func readReview(w http.ResponseWriter, req *http.Request) (*admissionv1.AdmissionReview, error) {
	if ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); ct != "application/json" {
		return nil, fmt.Errorf("content type %q, want application/json", req.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxReviewBytes))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	var review admissionv1.AdmissionReview
	if err := kjson.UnmarshalCaseSensitivePreserveInts(body, &review); err != nil {
		return nil, fmt.Errorf("decode AdmissionReview: %w", err)
	}
	if !reviewVersions[review.APIVersion] || review.Kind != "AdmissionReview" {
		return nil, fmt.Errorf("got %s %q, want an AdmissionReview of admission.k8s.io/v1", review.Kind, review.APIVersion)
	}
	if review.Request == nil {
		return nil, errors.New("the AdmissionReview has no request")
	}
	return &review, nil
}

// allowed admits the object unchanged; why is for whoever reads the review.
func allowed(why string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{Allowed: true, Result: &metav1.Status{Code: http.StatusOK, Message: why}}
}

// deny refuses the object with a message shown to the user (kubectl, events).
func deny(message string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{Result: &metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden, Message: message,
	}}
}

// failed refuses the object because the webhook could not decide; the API
// server shows the message and, since this is a review response and not a
// transport error, does not consult the failurePolicy.
func failed(code int32, err error) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{Result: &metav1.Status{Status: metav1.StatusFailure, Code: code, Message: err.Error()}}
}
