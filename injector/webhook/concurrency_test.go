package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/fig-injector/fig-injector/injector/inject"
)

// TestConcurrentAdmissions sends many reviews at once, as the API server
// does during a rollout: each must get the answer its own pod deserves (its
// own UID, its own client name in the patch, its own denial), and the
// metrics must count every one. Run under -race by `make race`.
func TestConcurrentAdmissions(t *testing.T) {
	s := startServer(t, testConfig, nil)
	cfg, err := ParseConfig([]byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	const n = 150 // a third each: injected, denied, skipped
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := admitOne(s, cfg, i); err != nil {
				errs <- fmt.Errorf("review %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	metrics := s.get(t, "/metrics")
	for _, line := range []string{
		fmt.Sprintf(`fig_injector_webhook_admissions_total{result="injected"} %d`, n/3),
		fmt.Sprintf(`fig_injector_webhook_admissions_total{result="denied"} %d`, n/3),
		fmt.Sprintf(`fig_injector_webhook_admissions_total{result="skipped"} %d`, n/3),
		fmt.Sprintf(`fig_injector_webhook_admission_duration_seconds_count %d`, n),
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %q", line)
		}
	}
}

// admitOne posts review i and checks its answer: i%3 == 0 is an opted-in
// pod of client Order<i>, 1 has a client name Fig forbids, 2 is not
// labelled. It reports instead of failing: it runs off the test goroutine.
func admitOne(s *testServer, cfg *Config, i int) error {
	pod := newPod(clientName, fmt.Sprintf("Order%d", i), clientSecret, "s/k")
	pod.Name = fmt.Sprintf("orders-%d", i)
	switch i % 3 {
	case 1:
		pod.Annotations[clientName] = fmt.Sprintf("Order.%d", i)
	case 2:
		pod.Labels = nil
	}
	uid := fmt.Sprintf("uid-%d", i)
	raw, body, err := reviewOf(pod, admissionv1.Create, uid)
	if err != nil {
		return err
	}
	r, err := s.client.Post(s.url+"/mutate", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer r.Body.Close()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&out); err != nil {
		return err
	}
	resp := out.Response
	if resp == nil || string(resp.UID) != uid {
		return fmt.Errorf("response %+v, want UID %s", resp, uid)
	}
	switch i % 3 {
	case 0:
		if !resp.Allowed || len(resp.Patch) == 0 {
			return fmt.Errorf("allowed=%v patch %d bytes, want injected", resp.Allowed, len(resp.Patch))
		}
		return samePatchedPod(raw, resp.Patch, pod, cfg)
	case 1:
		if resp.Allowed || resp.Result == nil || !strings.Contains(resp.Result.Message, fmt.Sprintf(`"Order.%d"`, i)) {
			return fmt.Errorf("result %+v, want a denial naming Order.%d", resp.Result, i)
		}
	default:
		if !resp.Allowed || len(resp.Patch) != 0 {
			return fmt.Errorf("allowed=%v patch %s, want skipped", resp.Allowed, resp.Patch)
		}
	}
	return nil
}

// samePatchedPod applies patch to raw, as the API server does, and compares
// the result with what inject.Mutate makes of pod.
func samePatchedPod(raw, patch []byte, pod *corev1.Pod, cfg *Config) error {
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return err
	}
	patched, err := p.Apply(raw)
	if err != nil {
		return err
	}
	var got corev1.Pod
	if err := json.Unmarshal(patched, &got); err != nil {
		return err
	}
	want := pod.DeepCopy()
	req, err := inject.ParseRequest(want)
	if err != nil {
		return err
	}
	if err := inject.Mutate(want, req, cfg.Settings); err != nil {
		return err
	}
	if d := cmp.Diff(want, &got); d != "" {
		return fmt.Errorf("patched pod differs from inject.Mutate (-want +got):\n%s", d)
	}
	return nil
}
