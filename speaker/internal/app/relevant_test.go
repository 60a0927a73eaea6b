package app

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// serviceCache is a Reader of Services by namespace/name; err, when set, is
// what every Get returns.
type serviceCache struct {
	byKey map[string]*corev1.Service
	err   error
}

func (s serviceCache) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	if s.err != nil {
		return s.err
	}
	svc, ok := s.byKey[key.String()]
	if !ok {
		return apierrors.NewNotFound(schema.GroupResource{Resource: "services"}, key.Name)
	}
	*obj.(*corev1.Service) = *svc
	return nil
}

func (s serviceCache) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return errors.New("not used")
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
	cache := serviceCache{byKey: map[string]*corev1.Service{
		"ns/up":      lbService("up", "203.0.113.1"),
		"ns/pending": lbService("pending"),
	}}
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
		{"the cache fails", serviceCache{err: errors.New("broken")}, slice("pending"), true},
		{"unknown object", cache, 42, true},
	} {
		if got := sliceMatters(context.Background(), tc.cache, tc.obj, true); got != tc.want {
			t.Errorf("%s: sliceMatters = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestFilteredPoke: an update pokes when the object mattered before or
// after it, so that losing an address is seen as well as gaining one.
func TestFilteredPoke(t *testing.T) {
	pokes := 0
	h := filteredPoke(func() { pokes++ }, func(o any) bool { return announced(o, true) })
	none, some := lbService("a"), lbService("a", "203.0.113.1")
	for _, tc := range []struct {
		name string
		do   func()
		want int
	}{
		{"created without an address", func() { h.OnAdd(none, false) }, 0},
		{"gets its address", func() { h.OnUpdate(none, some) }, 1},
		{"changes with it", func() { h.OnUpdate(some, some) }, 1},
		{"loses it", func() { h.OnUpdate(some, none) }, 1},
		{"changes without one", func() { h.OnUpdate(none, none) }, 0},
		{"deleted with one", func() { h.OnDelete(some) }, 1},
		{"deleted without", func() { h.OnDelete(none) }, 0},
	} {
		pokes = 0
		tc.do()
		if pokes != tc.want {
			t.Errorf("%s: %d pokes, want %d", tc.name, pokes, tc.want)
		}
	}
}
