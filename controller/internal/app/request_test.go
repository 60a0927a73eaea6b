package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
)

// TestRequests covers what a Service can ask for, and how each mistake is
// reported: the condition's reason and message, and exactly one Event.
func TestRequests(t *testing.T) {
	startController(t, testOptions())
	ns := namespace(t, nil)
	create(t, ipPool("req-auto", "203.0.113.0/28"))
	manual := ipPool("req-manual", "203.0.113.64/28")
	manual.Spec.AutoAssign = ptr.To(false)
	create(t, manual)

	tests := []struct {
		name     string
		mutate   func(*corev1.Service)
		reason   string
		wantIPs  []string
		wantMode corev1.LoadBalancerIPMode
		msg      string // part of the condition message
	}{
		{name: "auto", reason: ironlbv1.ReasonAllocated, wantIPs: []string{"203.0.113.0"}},
		{name: "annotation ips", mutate: annotate(ironlbv1.AnnotationIPs, "203.0.113.9"),
			reason: ironlbv1.ReasonAllocated, wantIPs: []string{"203.0.113.9"}},
		{name: "loadbalancerip", mutate: func(s *corev1.Service) { s.Spec.LoadBalancerIP = "203.0.113.10" },
			reason: ironlbv1.ReasonAllocated, wantIPs: []string{"203.0.113.10"}},
		{name: "ip in manual pool", mutate: annotate(ironlbv1.AnnotationIPs, "203.0.113.70"),
			reason: ironlbv1.ReasonAllocated, wantIPs: []string{"203.0.113.70"}},
		{name: "pool annotation on manual pool", mutate: annotate(ironlbv1.AnnotationPool, "req-manual"),
			reason: ironlbv1.ReasonAllocated, wantIPs: []string{"203.0.113.64"}},
		{name: "proxy mode", mutate: annotate(ironlbv1.AnnotationIPMode, "Proxy"),
			reason: ironlbv1.ReasonAllocated, wantIPs: []string{"203.0.113.1"}, wantMode: corev1.LoadBalancerIPModeProxy},
		{name: "bad ip mode", mutate: annotate(ironlbv1.AnnotationIPMode, "Direct"),
			reason: ironlbv1.ReasonInvalidRequest, msg: "use VIP (the default) or Proxy"},
		{name: "bad address", mutate: annotate(ironlbv1.AnnotationIPs, "203.0.113.300"),
			reason: ironlbv1.ReasonInvalidRequest, msg: "is not an IP address"},
		{name: "two of a family", mutate: annotate(ironlbv1.AnnotationIPs, "203.0.113.11,203.0.113.12"),
			reason: ironlbv1.ReasonInvalidRequest, msg: "at most one per family"},
		{name: "wrong family", mutate: annotate(ironlbv1.AnnotationIPs, "2001:db8::1"),
			reason: ironlbv1.ReasonInvalidRequest, msg: "IP families"},
		{name: "conflicting requests", mutate: func(s *corev1.Service) {
			s.Annotations[ironlbv1.AnnotationIPs] = "203.0.113.11"
			s.Spec.LoadBalancerIP = "203.0.113.12"
		}, reason: ironlbv1.ReasonInvalidRequest, msg: "conflicts with annotation"},
		{name: "unknown pool", mutate: annotate(ironlbv1.AnnotationPool, "nope"),
			reason: ironlbv1.ReasonNoEligiblePool, msg: `IPPool "nope", which does not exist`},
		{name: "address in no pool", mutate: annotate(ironlbv1.AnnotationIPs, "198.18.0.1"),
			reason: ironlbv1.ReasonNotAllowed, msg: "198.18.0.1"},
		{name: "address in use", mutate: annotate(ironlbv1.AnnotationIPs, "203.0.113.9"),
			reason: ironlbv1.ReasonIPInUse, msg: "203.0.113.9"},
	}
	parent := t
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("svc-%d", i)
			svc := lbService(ns, name)
			if tt.mutate != nil {
				tt.mutate(svc)
			}
			// Created under the parent test, so it lives on: "address in
			// use" relies on "annotation ips" still holding 203.0.113.9.
			create(parent, svc)
			got := allocated(t, ns, name, tt.reason)
			if tt.wantIPs == nil {
				tt.wantIPs = []string{}
			}
			if diff := cmp.Diff(tt.wantIPs, append([]string{}, ingressIPs(got)...)); diff != "" {
				t.Errorf("ingress (-want +got):\n%s", diff)
			}
			if tt.wantMode != "" && *got.Status.LoadBalancer.Ingress[0].IPMode != tt.wantMode {
				t.Errorf("ipMode = %s, want %s", *got.Status.LoadBalancer.Ingress[0].IPMode, tt.wantMode)
			}
			if c := condition(got); !strings.Contains(c.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", c.Message, tt.msg)
			}
			eventually(t, 10*time.Second, func(context.Context) error {
				if n := len(eventsFor(t, got, tt.reason)); n != 1 {
					return fmt.Errorf("%d %s events, want 1", n, tt.reason)
				}
				return nil
			})
		})
	}
}

func annotate(key, value string) func(*corev1.Service) {
	return func(s *corev1.Service) { s.Annotations[key] = value }
}

// TestClasses: only LoadBalancer Services of ironlb's class, or of no class
// unless told otherwise, are served; others' status is never written.
func TestClasses(t *testing.T) {
	for _, classless := range []bool{true, false} {
		t.Run(fmt.Sprintf("serveClassless=%v", classless), func(t *testing.T) {
			o := testOptions()
			o.ServeClassless = classless
			startController(t, o)
			ns := namespace(t, nil)
			create(t, ipPool("classes", "203.0.113.128/28"))

			// The Services to be left alone are created first: the work
			// queue hands Services out in the order their events came, so
			// by the time "ours" (created last) is allocated, each of them
			// has been looked at.
			other := lbService(ns, "other")
			other.Spec.LoadBalancerClass = ptr.To("example.com/other")
			create(t, other)
			none := lbService(ns, "none")
			create(t, none)
			clusterIP := lbService(ns, "clusterip")
			clusterIP.Spec.Type = corev1.ServiceTypeClusterIP
			clusterIP.Spec.AllocateLoadBalancerNodePorts = nil
			create(t, clusterIP)
			ours := lbService(ns, "ours")
			ours.Spec.LoadBalancerClass = ptr.To(ironlbv1.LoadBalancerClass)
			create(t, ours)

			allocated(t, ns, "ours", ironlbv1.ReasonAllocated)
			if classless {
				allocated(t, ns, "none", ironlbv1.ReasonAllocated)
			}
			// Workers run in parallel, so leave a margin for a reconcile of
			// an earlier Service still under way.
			time.Sleep(500 * time.Millisecond)
			names := []string{"other", "clusterip"}
			if !classless {
				names = append(names, "none")
			}
			for _, n := range names {
				var s corev1.Service
				if err := env.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: n}, &s); err != nil {
					t.Fatal(err)
				}
				if len(s.Status.Conditions) != 0 || len(s.Status.LoadBalancer.Ingress) != 0 {
					t.Errorf("Service %s has status written: %+v", n, s.Status)
				}
			}
		})
	}
}
