package app

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
)

// serviceCache is a Service cache by namespace/name.
type serviceCache map[string]*corev1.Service

func (s serviceCache) get(key types.NamespacedName) (*corev1.Service, bool) {
	svc, ok := s[key.String()]
	return svc, ok
}

func lbService(name string, ingress ...string) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
	}
	for _, ip := range ingress {
		svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
	}
	return svc
}

func slice(service string) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: service + "-x"}}
	if service != "" {
		es.Labels = map[string]string{discoveryv1.LabelServiceName: service}
	}
	return es
}

func TestAnnounced(t *testing.T) {
	other := lbService("other", "203.0.113.9")
	other.Spec.LoadBalancerClass = new("example.com/other")
	clusterIP := lbService("cip", "203.0.113.8")
	clusterIP.Spec.Type = corev1.ServiceTypeClusterIP
	for _, tc := range []struct {
		name string
		obj  any
		want bool
	}{
		{"with an address", lbService("a", "203.0.113.1"), true},
		{"without an address yet", lbService("a"), false},
		{"another class", other, false},
		{"not a LoadBalancer", clusterIP, false},
		{"tombstone with an address", toolscache.DeletedFinalStateUnknown{Obj: lbService("a", "203.0.113.1")}, true},
		{"tombstone without", toolscache.DeletedFinalStateUnknown{Obj: lbService("a")}, false},
		{"unknown object", "what", true},
	} {
		if got := announced(tc.obj, true); got != tc.want {
			t.Errorf("%s: announced = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSliceMatters(t *testing.T) {
	cache := serviceCache{
		"ns/up":      lbService("up", "203.0.113.1"),
		"ns/pending": lbService("pending"),
	}
	for _, tc := range []struct {
		name  string
		cache serviceCache
		obj   any
		want  bool
	}{
		{"its Service has an address", cache, slice("up"), true},
		{"its Service has none yet", cache, slice("pending"), false},
		{"its Service is gone", cache, slice("gone"), false},
		{"no Service label", cache, slice(""), false},
		{"tombstone", cache, toolscache.DeletedFinalStateUnknown{Obj: slice("up")}, true},
		{"unknown object", cache, 42, true},
	} {
		if got := sliceMatters(tc.cache.get, tc.obj, true); got != tc.want {
			t.Errorf("%s: sliceMatters = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestFilteredPoke: an update pokes when the object mattered before or
// after it, so that losing an address is seen as well as gaining one.
func TestFilteredPoke(t *testing.T) {
	pokes := 0
	h := filtered(func() { pokes++ }, func(o *corev1.Service) bool { return announced(o, true) })
	none, some := lbService("a"), lbService("a", "203.0.113.1")
	for _, tc := range []struct {
		name string
		do   func()
		want int
	}{
		{"created without an address", func() { h.Add(none) }, 0},
		{"gets its address", func() { h.Update(none, some) }, 1},
		{"changes with it", func() { h.Update(some, some) }, 1},
		{"loses it", func() { h.Update(some, none) }, 1},
		{"changes without one", func() { h.Update(none, none) }, 0},
		{"deleted with one", func() { h.Delete(some) }, 1},
		{"deleted without", func() { h.Delete(none) }, 0},
	} {
		pokes = 0
		tc.do()
		if pokes != tc.want {
			t.Errorf("%s: %d pokes, want %d", tc.name, pokes, tc.want)
		}
	}
}
