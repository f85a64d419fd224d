package main

import (
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/dns/dnsmessage"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Known Service names get their ClusterIP (A) or an empty answer (other types); anything else is
// NXDOMAIN, case-insensitively and with or without the trailing dot.
func TestAnswer(t *testing.T) {
	names := map[string]net.IP{"fig-dev.fig-dev.svc.cluster.local": net.ParseIP("10.96.0.20")}
	for _, tc := range []struct {
		name   string
		qname  string
		qtype  dnsmessage.Type
		rcode  dnsmessage.RCode
		answer []string
	}{
		{"A of a Service", "fig-dev.fig-dev.svc.cluster.local.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []string{"10.96.0.20"}},
		{"upper case", "FIG-DEV.fig-dev.svc.cluster.local.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []string{"10.96.0.20"}},
		{"AAAA of a Service", "fig-dev.fig-dev.svc.cluster.local.", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, nil},
		{"search-list miss", "fig-dev.fig-dev.svc.demo.svc.cluster.local.", dnsmessage.TypeA, dnsmessage.RCodeNameError, nil},
		{"outside the cluster", "example.com.", dnsmessage.TypeA, dnsmessage.RCodeNameError, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 42, RecursionDesired: true})
			if err := b.StartQuestions(); err != nil {
				t.Fatal(err)
			}
			if err := b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(tc.qname), Type: tc.qtype, Class: dnsmessage.ClassINET}); err != nil {
				t.Fatal(err)
			}
			q, err := b.Finish()
			if err != nil {
				t.Fatal(err)
			}
			raw, err := answer(q, names)
			if err != nil {
				t.Fatal(err)
			}
			var m dnsmessage.Message
			if err := m.Unpack(raw); err != nil {
				t.Fatal(err)
			}
			if m.ID != 42 || !m.Response || m.RCode != tc.rcode || len(m.Questions) != 1 {
				t.Fatalf("header %+v, %d questions; want ID 42, a response, %v", m.Header, len(m.Questions), tc.rcode)
			}
			var got []string
			for _, a := range m.Answers {
				if r, ok := a.Body.(*dnsmessage.AResource); ok {
					got = append(got, net.IP(r.A[:]).String())
				}
			}
			if diff := cmp.Diff(tc.answer, got); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
		})
	}
}

// Only ready endpoints of the Service's own slices, on the port of the same name, are backends.
func TestReadyEndpoints(t *testing.T) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "fig-dev", Namespace: "fig-dev"}}
	ptr := func(s string) *string { return &s }
	port := func(n string, p int32) discoveryv1.EndpointPort {
		return discoveryv1.EndpointPort{Name: ptr(n), Port: &p}
	}
	yes, no := true, false
	slice := func(ns, svcName string, eps ...discoveryv1.Endpoint) discoveryv1.EndpointSlice {
		return discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
			Endpoints:  eps,
			Ports:      []discoveryv1.EndpointPort{port("fig", 7281), port("entra", 7282)},
		}
	}
	slices := []discoveryv1.EndpointSlice{
		slice("fig-dev", "fig-dev",
			discoveryv1.Endpoint{Addresses: []string{"10.244.0.11"}, Conditions: discoveryv1.EndpointConditions{Ready: &yes}},
			discoveryv1.Endpoint{Addresses: []string{"10.244.0.12"}, Conditions: discoveryv1.EndpointConditions{Ready: &no}},
			discoveryv1.Endpoint{Addresses: []string{"10.244.0.13"}}), // unset: ready, as kube-proxy reads it
		slice("fig-dev", "orders-kv", discoveryv1.Endpoint{Addresses: []string{"10.244.0.99"}}),
		slice("other", "fig-dev", discoveryv1.Endpoint{Addresses: []string{"10.244.0.98"}}),
	}
	got := readyEndpoints(slices, svc, "entra")
	if diff := cmp.Diff([]string{"10.244.0.11:7282", "10.244.0.13:7282"}, got); diff != "" {
		t.Errorf("backends (-want +got):\n%s", diff)
	}
}
