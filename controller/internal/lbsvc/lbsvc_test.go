package lbsvc

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
	"unsafe"

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

// view is what a Service says through its fields and methods, for
// comparing.
type view struct {
	Namespace, Name, ID, UID string
	Generation, Created      int64
	Labels, Annotations      map[string]string
	Type                     corev1.ServiceType
	Class                    *string
	LoadBalancerIP           string
	IPFamilyPolicy           corev1.IPFamilyPolicy
	IPFamilies               []corev1.IPFamily
	Ports                    []allocator.Port
	ExternalTrafficPolicy    corev1.ServiceExternalTrafficPolicy
	Selector                 string
	Ingress                  []Ingress
	Conditions               []conditionView
}

type conditionView struct {
	Type                                   string
	Status                                 metav1.ConditionStatus
	Reason                                 string
	ObservedGeneration, LastTransitionTime int64
	MessageHash                            uint64
}

func viewOf(s *Service) view {
	v := view{
		Namespace: s.Namespace, Name: s.Name, ID: s.ID(), UID: string(s.UID()),
		Generation: s.Generation, Created: s.Created, Labels: s.Labels, Annotations: s.Annotations,
		Type: s.Type(), Class: s.Class, LoadBalancerIP: s.LoadBalancerIP(), IPFamilyPolicy: s.IPFamilyPolicy(),
		IPFamilies: s.IPFamilies(), Ports: s.Ports, ExternalTrafficPolicy: s.ExternalTrafficPolicy(), Selector: s.Selector(),
		Ingress: s.Ingress,
	}
	for _, c := range s.Conditions {
		v.Conditions = append(v.Conditions, conditionView{c.Type(), c.Status(), c.Reason, c.ObservedGeneration, c.LastTransitionTime, c.MessageHash})
	}
	return v
}

// TestFrom: the cached form keeps every field the controller reads, as the
// Service has it, and drops the rest.
func TestFrom(t *testing.T) {
	want := view{
		Namespace: "demo", Name: "web", ID: "demo/web", UID: "u1", Generation: 4, Created: then.Unix(),
		Labels:         map[string]string{"tier": "edge"},
		Annotations:    map[string]string{"ironlb.io/sharing-key": "shared", "ironlb.io/pool": "blue", "ironlb.io/ips": "203.0.113.9"},
		Type:           corev1.ServiceTypeLoadBalancer,
		Class:          ptr.To("ironlb.io/ironlb"),
		LoadBalancerIP: "203.0.113.9",
		IPFamilyPolicy: corev1.IPFamilyPolicyPreferDualStack,
		IPFamilies:     []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
		Ports:          []allocator.Port{{Protocol: "TCP", Port: 80}, {Protocol: "UDP", Port: 53}, {Protocol: "TCP", Port: 8443}},
		Ingress:        []Ingress{{IP: "203.0.113.9", IPMode: corev1.LoadBalancerIPModeProxy}, {IP: "2001:db8::9"}},
		Conditions: []conditionView{{Type: "ironlb.io/Allocated", Status: metav1.ConditionTrue, Reason: "Allocated",
			ObservedGeneration: 4, LastTransitionTime: then.Unix(), MessageHash: Hash("assigned 203.0.113.9")}},
	}
	for _, policy := range []corev1.ServiceExternalTrafficPolicy{corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal} {
		t.Run(string(policy), func(t *testing.T) {
			want := want
			want.ExternalTrafficPolicy = policy
			if policy == corev1.ServiceExternalTrafficPolicyLocal {
				want.Selector = "app=web,tier=edge"
			}
			if diff := cmp.Diff(want, viewOf(From(full(policy)))); diff != "" {
				t.Errorf("From (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFromMinimal: a Service with nothing set caches with nothing set;
// unset is not confused with set (no class, no policy, no mode), and
// nothing rare is allocated.
func TestFromMinimal(t *testing.T) {
	got := From(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web",
		Annotations: map[string]string{"other": "x"}}})
	if diff := cmp.Diff(view{Namespace: "demo", Name: "web", ID: "demo/web", Created: (metav1.Time{}).Unix()}, viewOf(got)); diff != "" {
		t.Errorf("From (-want +got):\n%s", diff)
	}
	if got.rare != nil {
		t.Errorf("rare fields %+v for a Service that sets none", got.rare)
	}
	// A Service built by hand, as the tests of other packages build them,
	// has the same ID.
	if id := (&Service{Namespace: "demo", Name: "web"}).ID(); id != got.ID() {
		t.Errorf("ID of a literal Service: %q, From's: %q", id, got.ID())
	}
}

// TestFromUnknown: values the API does not define today (a newer
// apiserver's) are kept as they came, not read as another value; so are
// conditions of types or statuses ironlb does not write, which are dropped.
func TestFromUnknown(t *testing.T) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web"}, Spec: corev1.ServiceSpec{
		Type: "Gateway", ExternalTrafficPolicy: "Nearest", IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicy("AnyStack")),
		IPFamilies: []corev1.IPFamily{"IPv8"},
	}, Status: corev1.ServiceStatus{Conditions: []metav1.Condition{
		{Type: "ironlb.io/Future", Status: metav1.ConditionTrue},
		{Type: "ironlb.io/Allocated", Status: "Maybe"},
	}}}
	s := From(svc)
	got := viewOf(s)
	if got.Type != "Gateway" || got.ExternalTrafficPolicy != "Nearest" || got.IPFamilyPolicy != "AnyStack" ||
		!slices.Equal(got.IPFamilies, []corev1.IPFamily{"IPv8"}) || len(got.Conditions) != 0 {
		t.Errorf("From: %+v; want the unknown values kept and both conditions dropped", got)
	}
	svc.Spec.IPFamilies[0] = "IPv9"
	if f := s.IPFamilies(); f[0] != "IPv8" {
		t.Errorf("IPFamilies %v: shares the Service's slice", f)
	}
}

// TestUID: a UUID as the apiserver writes it is kept in 16 bytes and
// reads back the same; anything else is kept as it came.
func TestUID(t *testing.T) {
	for _, uid := range []types.UID{
		"6c3a3f0e-7b1d-4f3b-9a7e-0123456789ab", "00000000-0000-0000-0000-000000000001",
		"6C3A3F0E-7B1D-4F3B-9A7E-0123456789AB", "6c3a3f0e7b1d4f3b9a7e0123456789ab----", "u1", "",
		"00000000-0000-0000-0000-000000000000", "6c3a3f0e-7b1d-4f3b-9a7e-0123456789ag",
	} {
		s := From(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web", UID: uid}})
		if got := s.UID(); got != uid {
			t.Errorf("UID %q reads back as %q", uid, got)
		}
		if packed := s.rare == nil; packed != (uid == "6c3a3f0e-7b1d-4f3b-9a7e-0123456789ab" || uid == "00000000-0000-0000-0000-000000000001" || uid == "") {
			t.Errorf("UID %q: kept in 16 bytes %v", uid, packed)
		}
	}
}

// TestRecordSize holds the record to the size class its comment claims:
// one field more, and every cached Service costs 16 to 32 bytes more.
func TestRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(Service{}); n > 192 {
		t.Errorf("Service is %d bytes, over 192", n)
	}
	if n := unsafe.Sizeof(Condition{}); n > 48 {
		t.Errorf("Condition is %d bytes, over 48", n)
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
		t.Fatalf("conditions %+v: want only ironlb.io/Allocated", viewOf(s).Conditions)
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
	if r := s.Ref(); r.Namespace != "demo" || r.Name != "web" || r.UID != "u1" {
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
