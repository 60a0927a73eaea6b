package lbsvc

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/ironlb/ironlb/internal/allocator"
	"github.com/ironlb/ironlb/internal/config"
)

var then = metav1.NewTime(time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC))

func full(policy corev1.ServiceExternalTrafficPolicy) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "demo", Name: "web", UID: "u1", Generation: 4, ResourceVersion: "77", CreationTimestamp: then,
			Labels: map[string]string{"tier": "edge"},
			Annotations: map[string]string{
				"ironlb.io/sharing-key": "shared", "ironlb.io/pool": "blue", "ironlb.io/ips": "203.0.113.9",
				"kubectl.kubernetes.io/last-applied-configuration": "{...}",
			},
			Finalizers:    []string{"service.kubernetes.io/load-balancer-cleanup"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
		},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: ptr.To("ironlb.io/ironlb"),
			LoadBalancerIP:        "203.0.113.9",
			Selector:              map[string]string{"app": "web", "tier": "edge"},
			ExternalTrafficPolicy: policy,
			IPFamilyPolicy:        ptr.To(corev1.IPFamilyPolicyPreferDualStack),
			IPFamilies:            []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
			ClusterIP:             "198.19.0.10", ClusterIPs: []string{"198.19.0.10", "2001:db8:1900::10"},
			Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080), NodePort: 30080},
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")},
				{Name: "default", Port: 8443},
			},
		},
		Status: corev1.ServiceStatus{
			LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
				{IP: "203.0.113.9", IPMode: ptr.To(corev1.LoadBalancerIPModeProxy)},
				{IP: "2001:db8::9"},
			}},
			Conditions: []metav1.Condition{
				{Type: "ironlb.io/Allocated", Status: metav1.ConditionTrue, Reason: "Allocated", Message: "assigned 203.0.113.9",
					ObservedGeneration: 4, LastTransitionTime: then},
				{Type: "example.com/Other", Status: metav1.ConditionTrue, Reason: "Theirs", Message: "not ours"},
			},
		},
	}
}

// TestFrom: the cached form keeps every field the controller reads, as the
// Service has it, and drops the rest.
func TestFrom(t *testing.T) {
	want := &Service{
		Namespace: "demo", Name: "web", id: "demo/web", UID: "u1", ResourceVersion: "77", Generation: 4, Created: then.Unix(),
		Labels:         map[string]string{"tier": "edge"},
		Annotations:    map[string]string{"ironlb.io/sharing-key": "shared", "ironlb.io/pool": "blue", "ironlb.io/ips": "203.0.113.9"},
		Type:           corev1.ServiceTypeLoadBalancer,
		Class:          ptr.To("ironlb.io/ironlb"),
		LoadBalancerIP: "203.0.113.9",
		IPFamilyPolicy: corev1.IPFamilyPolicyPreferDualStack,
		IPFamilies:     []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
		Ports:          []allocator.Port{{Protocol: "TCP", Port: 80}, {Protocol: "UDP", Port: 53}, {Protocol: "TCP", Port: 8443}},
		Ingress:        []Ingress{{IP: "203.0.113.9", IPMode: corev1.LoadBalancerIPModeProxy}, {IP: "2001:db8::9"}},
		Conditions: []Condition{{Type: "ironlb.io/Allocated", Status: metav1.ConditionTrue, Reason: "Allocated",
			ObservedGeneration: 4, LastTransitionTime: then.Unix(), MessageHash: Hash("assigned 203.0.113.9")}},
	}
	for _, policy := range []corev1.ServiceExternalTrafficPolicy{corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal} {
		t.Run(string(policy), func(t *testing.T) {
			want := *want
			want.ExternalTrafficPolicy = policy
			if policy == corev1.ServiceExternalTrafficPolicyLocal {
				want.Selector = "app=web,tier=edge"
			}
			if diff := cmp.Diff(&want, From(full(policy)), cmp.AllowUnexported(Service{})); diff != "" {
				t.Errorf("From (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFromMinimal: a Service with nothing set caches with nothing set;
// unset is not confused with set (no class, no policy, no mode).
func TestFromMinimal(t *testing.T) {
	got := From(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web",
		Annotations: map[string]string{"other": "x"}}})
	if diff := cmp.Diff(&Service{Namespace: "demo", Name: "web", id: "demo/web", Created: (metav1.Time{}).Unix()}, got, cmp.AllowUnexported(Service{})); diff != "" {
		t.Errorf("From (-want +got):\n%s", diff)
	}
	// A Service built by hand, as the tests of other packages build them,
	// has the same ID.
	if id := (&Service{Namespace: "demo", Name: "web"}).ID(); id != got.ID() {
		t.Errorf("ID of a literal Service: %q, From's: %q", id, got.ID())
	}
}

// TestServed agrees with config.Served, which the speaker calls.
func TestServed(t *testing.T) {
	for _, typ := range []corev1.ServiceType{corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeClusterIP} {
		for _, class := range []*string{nil, ptr.To("ironlb.io/ironlb"), ptr.To("example.com/other")} {
			for _, classless := range []bool{false, true} {
				svc := &corev1.Service{Spec: corev1.ServiceSpec{Type: typ, LoadBalancerClass: class}}
				if got, want := From(svc).Served(classless), config.Served(svc, classless); got != want {
					t.Errorf("type %s class %v classless %v: served %v, config.Served says %v", typ, ptr.Deref(class, "<nil>"), classless, got, want)
				}
			}
		}
	}
}

// TestCondition: Same compares what the controller writes, Says what an
// Event reports, and Transition keeps the time while the status holds.
func TestCondition(t *testing.T) {
	s := From(full(corev1.ServiceExternalTrafficPolicyCluster))
	old := s.Condition("ironlb.io/Allocated")
	if old == nil || s.Condition("example.com/Other") != nil || s.Condition("ironlb.io/Announced") != nil {
		t.Fatalf("conditions %+v: want only ironlb.io/Allocated", s.Conditions)
	}
	want := metav1.Condition{Type: "ironlb.io/Allocated", Status: metav1.ConditionTrue, Reason: "Allocated",
		Message: "assigned 203.0.113.9", ObservedGeneration: 4}
	if !old.Same(&want) {
		t.Error("Same: false for the condition the Service has")
	}
	for name, change := range map[string]func(*metav1.Condition){
		"status":     func(c *metav1.Condition) { c.Status = metav1.ConditionFalse },
		"reason":     func(c *metav1.Condition) { c.Reason = "PoolRemoved" },
		"message":    func(c *metav1.Condition) { c.Message = "assigned 203.0.113.10" },
		"generation": func(c *metav1.Condition) { c.ObservedGeneration = 5 },
	} {
		c := want
		change(&c)
		if old.Same(&c) {
			t.Errorf("Same: true with another %s", name)
		}
		// Only a new generation says nothing new (no Event).
		if says := old.Says(&c); says != (name == "generation") {
			t.Errorf("Says: %v with another %s", says, name)
		}
	}
	var none *Condition
	if none.Same(&want) || none.Says(&want) {
		t.Error("Same or Says: true for no condition")
	}

	now := metav1.NewTime(then.Add(time.Hour))
	if got := Transition(old, want, now).LastTransitionTime; !got.Equal(&then) {
		t.Errorf("status held: transition time %v, want %v", got, then)
	}
	flipped := want
	flipped.Status = metav1.ConditionFalse
	if got := Transition(old, flipped, now).LastTransitionTime; !got.Equal(&now) {
		t.Errorf("status changed: transition time %v, want %v", got, now)
	}
	if got := Transition(nil, want, now).LastTransitionTime; !got.Equal(&now) {
		t.Errorf("new condition: transition time %v, want %v", got, now)
	}
}

// TestCacheKeys: client-go's store keys and indexes the cached form by
// namespace and name, and the transform leaves a cached form alone.
func TestCacheKeys(t *testing.T) {
	obj, err := Transform(full(corev1.ServiceExternalTrafficPolicyCluster))
	if err != nil {
		t.Fatal(err)
	}
	if again, err := Transform(obj); err != nil || again != obj {
		t.Errorf("Transform of a cached Service: %v, %v; want it unchanged", again, err)
	}
	store := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	if err := store.Add(obj); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := store.GetByKey("demo/web"); !ok || err != nil {
		t.Errorf("GetByKey(demo/web): %v, %v", ok, err)
	}
	if got, err := store.ByIndex(cache.NamespaceIndex, "demo"); len(got) != 1 || err != nil {
		t.Errorf("ByIndex(namespace, demo): %v, %v", got, err)
	}
	s := obj.(*Service)
	if s.Key() != (types.NamespacedName{Namespace: "demo", Name: "web"}) {
		t.Errorf("Key %v", s.Key())
	}
	if r := s.Ref(); r.Namespace != "demo" || r.Name != "web" || r.UID != "u1" || r.ResourceVersion != "77" {
		t.Errorf("Ref %+v", r.ObjectMeta)
	}
}

// BenchmarkCachedSize reports the heap that 10,000 cached Services hold:
// decoded from protobuf as the informer gets them, then either kept whole
// or turned into the cached form. The Services are as the controller leaves
// them: an address, and its two conditions.
func BenchmarkCachedSize(b *testing.B) {
	const n = 10000
	raw := make([][]byte, n)
	for i := range raw {
		data, err := allocated(i).Marshal()
		if err != nil {
			b.Fatal(err)
		}
		raw[i] = data
	}
	for _, form := range []struct {
		name string
		keep func(*corev1.Service) any
	}{
		{"decoded", func(s *corev1.Service) any { return s }},
		{"cached", func(s *corev1.Service) any { return From(s) }},
	} {
		b.Run(form.name, func(b *testing.B) {
			var per float64
			for range b.N {
				keep := make([]any, n)
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for i := range raw {
					s := &corev1.Service{}
					if err := s.Unmarshal(raw[i]); err != nil {
						b.Fatal(err)
					}
					keep[i] = form.keep(s)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				per = float64(after.HeapAlloc-before.HeapAlloc) / n
				runtime.KeepAlive(keep)
			}
			b.ReportMetric(per, "B/service")
		})
	}
}

func allocated(i int) *corev1.Service {
	ns, name := "bench-1764150000", fmt.Sprintf("svc-%d", i)
	ip := fmt.Sprintf("198.18.%d.%d", 64+i/256, i%256)
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(fmt.Sprintf("6c3a3f0e-7b1d-4f3b-9a7e-%012d", i)),
			ResourceVersion: fmt.Sprint(100000 + i), Generation: 1, CreationTimestamp: then},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer,
			Ports:    []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080), NodePort: 30000 + int32(i%2000)}},
			Selector: map[string]string{"app": name}, ClusterIP: "198.19.0.1", ClusterIPs: []string{"198.19.0.1"}, SessionAffinity: "None",
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol}, IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicySingleStack),
			InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyCluster), ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
			AllocateLoadBalancerNodePorts: ptr.To(true)},
		Status: corev1.ServiceStatus{
			LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: ip, IPMode: ptr.To(corev1.LoadBalancerIPModeVIP)}}},
			Conditions: []metav1.Condition{
				{Type: "ironlb.io/Allocated", Status: "True", ObservedGeneration: 1, LastTransitionTime: then, Reason: "Allocated",
					Message: "assigned " + ip + ` from IPPool "bench"`},
				{Type: "ironlb.io/Announced", Status: "False", ObservedGeneration: 1, LastTransitionTime: then, Reason: "NotAnnounced",
					Message: "no node announces " + ip + "; the speakers' Events on the Service say why (kubectl describe service -n " + ns + " " + name + ")"},
			}},
	}
}
