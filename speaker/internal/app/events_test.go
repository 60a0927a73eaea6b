package app

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"

	"github.com/ironlb/ironlb/speaker/internal/announce"
)

func TestServiceEvents(t *testing.T) {
	rec := events.NewFakeRecorder(10)
	e := serviceEvents{recorder: rec, node: "node1"}
	withIP := func(name, ip string) *corev1.Service {
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: name}}
		s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
		return s
	}
	svcs := map[string]*corev1.Service{"a/web": withIP("web", "203.0.113.7"), "a/db": withIP("db", "203.0.113.8")}
	pass := func(web, db announce.ServicePlan) []string {
		e.record(announce.Plan{Services: map[string]announce.ServicePlan{"a/web": web, "a/db": db}}, svcs)
		var got []string
		for len(rec.Events) > 0 {
			got = append(got, <-rec.Events)
		}
		return got
	}
	up := announce.ServicePlan{Peers: []string{"router", "router2"}}
	down := announce.ServicePlan{Reason: announce.ReasonNoEndpoints}

	// The first pass only remembers, whatever it finds.
	if got := pass(up, down); len(got) != 0 {
		t.Errorf("first pass recorded %q, want nothing", got)
	}
	// Nothing changed: nothing recorded.
	if got := pass(up, down); len(got) != 0 {
		t.Errorf("unchanged pass recorded %q", got)
	}
	got := pass(down, up)
	want := []string{
		"Normal Advertised node1 advertises 203.0.113.8 to router, router2",
		"Normal Withdrawn node1 no longer advertises 203.0.113.7: the Service has no ready endpoint",
	}
	if len(got) == 2 && got[0] > got[1] {
		got[0], got[1] = got[1], got[0]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
