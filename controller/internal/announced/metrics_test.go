package announced

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/scheme"
)

func loadBalancer(name string, class *string, ips ...string) *corev1.Service {
	s := service(ips...)
	s.Name = name
	s.Spec.Type = corev1.ServiceTypeLoadBalancer
	s.Spec.LoadBalancerClass = class
	return s
}

// TestMetricsCountServicesByReason runs passes against a fake apiserver and
// reads what /metrics would show: every served Service counted once under
// the reason of its condition, Services of other classes not at all, and a
// reason that no Service has any more reads 0.
func TestMetricsCountServicesByReason(t *testing.T) {
	sch, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	other := "example.com/other"
	objs := []client.Object{
		loadBalancer("announced", nil, "203.0.113.7"),
		loadBalancer("partly", ptr.To(ironlbv1.LoadBalancerClass), "203.0.113.7", "2001:db8:200::7"),
		loadBalancer("silent", nil, "203.0.113.9"),
		loadBalancer("pending", nil),
		loadBalancer("theirs", &other, "203.0.113.9"),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "cluster-ip"}},
		ptr.To(speaker("node1", []ironlbv1.BGPSession{up("router", "203.0.113.7")})),
	}
	c := fake.NewClientBuilder().WithScheme(sch).WithObjects(objs...).
		WithStatusSubresource(&corev1.Service{}, &ironlbv1.SpeakerStatus{}).Build()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktesting.NewFakePassiveClock(time.Now())
	r := &Reconciler{Client: c, ServeClassless: true, FieldOwner: "test", Clock: clk, Metrics: m}
	pass := func(want map[string]float64) {
		t.Helper()
		clk.SetTime(clk.Now().Add(time.Second))
		if _, err := r.Reconcile(t.Context(), reconcile.Request{}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, byReason(t, reg)); diff != "" {
			t.Errorf("ironlb_announced_services (-want +got):\n%s", diff)
		}
	}
	pass(map[string]float64{"Announced": 1, "PartlyAnnounced": 1, "NotAnnounced": 1, "NoAddress": 1})

	for _, name := range []string{"silent", "partly"} {
		if err := c.Delete(t.Context(), &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: name}}); err != nil {
			t.Fatal(err)
		}
	}
	pass(map[string]float64{"Announced": 1, "PartlyAnnounced": 0, "NotAnnounced": 0, "NoAddress": 1})
}

// byReason reads ironlb_announced_services from reg as /metrics shows it.
func byReason(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "ironlb_announced_services" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" {
					got[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return got
}

// A Reconciler without metrics still works: tests and tools build it bare.
func TestMetricsNil(t *testing.T) {
	var m *Metrics
	m.set(map[string]int{ReasonAnnounced: 1})
}
