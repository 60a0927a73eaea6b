package announced

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/internal/kube"
	"github.com/ironlb/ironlb/internal/metricstest"
)

func loadBalancer(name string, class *string, ips ...string) *corev1.Service {
	s := service(ips...)
	s.Name = name
	s.Spec.Type = corev1.ServiceTypeLoadBalancer
	s.Spec.LoadBalancerClass = class
	return s
}

// patches counts the status patches a pass sends.
type patches struct{ n int }

func (p *patches) Patch(_ context.Context, r kube.Resource, _ types.NamespacedName, sub string, _ types.PatchType, _ []byte, _ string) error {
	if r != kube.Services || sub != "status" {
		return fmt.Errorf("patch of %s %s", r.Name, sub)
	}
	p.n++
	return nil
}

// TestMetricsCountServicesByReason runs passes over fixed caches and
// reads what /metrics would show: every served Service counted once under
// the reason of its condition, Services of other classes not at all, and a
// reason that no Service has any more reads 0.
func TestMetricsCountServicesByReason(t *testing.T) {
	other := "example.com/other"
	svcs := []*corev1.Service{
		loadBalancer("announced", nil, "203.0.113.7"),
		loadBalancer("partly", ptr.To(ironlbv1.LoadBalancerClass), "203.0.113.7", "2001:db8:200::7"),
		loadBalancer("silent", nil, "203.0.113.9"),
		loadBalancer("pending", nil),
		loadBalancer("theirs", &other, "203.0.113.9"),
		{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "cluster-ip"}},
	}
	spks := []*ironlbv1.SpeakerStatus{ptr.To(speaker("node1", []ironlbv1.BGPSession{up("router", "203.0.113.7")}))}
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktesting.NewFakePassiveClock(time.Now())
	c := &patches{}
	r := &Reconciler{
		Client: c, ServeClassless: true, FieldOwner: "test", Clock: clk, Metrics: m,
		Services: func() []*lbsvc.Service {
			out := make([]*lbsvc.Service, len(svcs))
			for i, s := range svcs {
				out[i] = lbsvc.From(s)
			}
			return out
		},
		SpeakerStatuses: func() []*ironlbv1.SpeakerStatus { return spks },
	}
	pass := func(want map[string]float64) {
		t.Helper()
		clk.SetTime(clk.Now().Add(time.Second))
		if _, err := r.Reconcile(t.Context(), types.NamespacedName{}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, byReason(t, reg)); diff != "" {
			t.Errorf("ironlb_announced_services (-want +got):\n%s", diff)
		}
	}
	pass(map[string]float64{"Announced": 1, "PartlyAnnounced": 1, "NotAnnounced": 1, "NoAddress": 1})
	// Announced, PartlyAnnounced and NotAnnounced are written; the Service
	// without an address has nothing to say.
	if c.n != 3 {
		t.Errorf("%d status patches, want 3", c.n)
	}

	// silent and partly are deleted.
	svcs = []*corev1.Service{svcs[0], svcs[3], svcs[4], svcs[5]}
	pass(map[string]float64{"Announced": 1, "PartlyAnnounced": 0, "NotAnnounced": 0, "NoAddress": 1})
}

// byReason reads ironlb_announced_services from reg as /metrics shows it.
func byReason(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	return metricstest.ByLabel(t, reg, "ironlb_announced_services", "reason")
}

// A Reconciler without metrics still works: tests and tools build it bare.
func TestMetricsNil(t *testing.T) {
	var m *Metrics
	m.set(map[string]int{ReasonAnnounced: 1})
}
