// Package lbsvc is the form in which the controller caches a Service: only
// the fields it reads, with the values most Services share (namespaces,
// protocols, reasons, class) interned, and its own conditions' messages
// kept as hashes. With 10,000 Services the cache is most of the
// controller's memory; this form holds one in about a third of what a
// decoded corev1.Service takes (BenchmarkCachedSize).
//
// The controller compares the conditions it wants with the cached ones and
// writes only on a difference, so a hash of the message is all it needs;
// no other part of the controller reads a Service's condition messages.
package lbsvc

import (
	"hash/maphash"
	"slices"
	"strings"
	"unique"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/allocator"
	"github.com/ironlb/ironlb/internal/config"
)

// Service is a cached Service. Read it, never change it: the cache hands
// out its own copy.
type Service struct {
	// Name is a part of id, so that both cost one string.
	Namespace, Name string
	id              string
	UID             types.UID
	ResourceVersion string
	Generation      int64
	// Created is metadata.creationTimestamp in Unix seconds, the
	// precision the API keeps.
	Created int64
	// Labels are nil when there are none.
	Labels map[string]string
	// Annotations holds the ironlb.io/ annotations only; nil when none.
	Annotations map[string]string

	Type           corev1.ServiceType
	Class          *string
	LoadBalancerIP string
	// IPFamilyPolicy is "" when unset.
	IPFamilyPolicy corev1.IPFamilyPolicy
	IPFamilies     []corev1.IPFamily
	// Ports in spec order; an empty protocol reads as TCP.
	Ports                 []allocator.Port
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy
	// Selector is spec.selector in label syntax, for the Local policy
	// only (sharing an address needs the same endpoints); else "".
	Selector string

	Ingress []Ingress
	// Conditions are ironlb's own (ironlb.io/Allocated, ironlb.io/Announced).
	Conditions []Condition
}

// Ingress is one entry of status.loadBalancer.ingress.
type Ingress struct {
	// IP as written; it may not parse.
	IP       string
	Hostname string
	// IPMode is "" when unset.
	IPMode corev1.LoadBalancerIPMode
}

// Condition is one of ironlb's Service conditions, its message hashed.
type Condition struct {
	Type               string
	Status             metav1.ConditionStatus
	Reason             string
	ObservedGeneration int64
	// LastTransitionTime in Unix seconds.
	LastTransitionTime int64
	MessageHash        uint64
}

var seed = maphash.MakeSeed()

// Hash is the MessageHash of a condition message.
func Hash(message string) uint64 { return maphash.String(seed, message) }

// Says reports whether c says what want says: status, reason and message.
// A change of any of them is worth an Event.
func (c *Condition) Says(want *metav1.Condition) bool {
	return c != nil && c.Status == want.Status && c.Reason == want.Reason && c.MessageHash == Hash(want.Message)
}

// Same reports whether c needs no write to become want: it Says the same,
// for the same generation.
func (c *Condition) Same(want *metav1.Condition) bool {
	return c.Says(want) && c.ObservedGeneration == want.ObservedGeneration
}

// Transition returns want with its lastTransitionTime set as
// meta.SetStatusCondition sets it: kept from old while the status holds,
// else now.
func Transition(old *Condition, want metav1.Condition, now metav1.Time) metav1.Condition {
	want.LastTransitionTime = now
	if old != nil && old.Status == want.Status {
		want.LastTransitionTime = metav1.Unix(old.LastTransitionTime, 0)
	}
	return want
}

// Condition returns the condition of this type, or nil.
func (s *Service) Condition(typ string) *Condition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == typ {
			return &s.Conditions[i]
		}
	}
	return nil
}

// ID is "namespace/name", the allocator's name of the Service.
func (s *Service) ID() string {
	if s.id == "" {
		return s.Namespace + "/" + s.Name
	}
	return s.id
}

// Key is the Service's namespace and name.
func (s *Service) Key() types.NamespacedName {
	return types.NamespacedName{Namespace: s.Namespace, Name: s.Name}
}

// Served reports whether ironlb serves the Service (config.Served).
func (s *Service) Served(serveClassless bool) bool {
	return config.ServedClass(s.Type, s.Class, serveClassless)
}

// Ref is a Service that names this one, for Events.
func (s *Service) Ref() *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{
		Namespace: s.Namespace, Name: s.Name, UID: s.UID, ResourceVersion: s.ResourceVersion,
	}}
}

// GetObjectMeta lets client-go's caches key and index a Service by
// namespace and name.
func (s *Service) GetObjectMeta() metav1.Object {
	return &metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name, UID: s.UID, ResourceVersion: s.ResourceVersion}
}

var _ metav1.ObjectMetaAccessor = (*Service)(nil)

// Transform is the cache's transform: it turns a *corev1.Service into a
// *Service, and leaves one unchanged.
func Transform(obj any) (any, error) {
	if svc, ok := obj.(*corev1.Service); ok {
		return From(svc), nil
	}
	return obj, nil
}

// From returns the cached form of svc, which it does not keep.
func From(svc *corev1.Service) *Service {
	id := svc.Namespace + "/" + svc.Name
	s := &Service{
		Namespace:             intern(svc.Namespace),
		Name:                  id[len(svc.Namespace)+1:],
		id:                    id,
		UID:                   svc.UID,
		ResourceVersion:       svc.ResourceVersion,
		Generation:            svc.Generation,
		Created:               svc.CreationTimestamp.Unix(),
		Type:                  corev1.ServiceType(intern(string(svc.Spec.Type))),
		LoadBalancerIP:        svc.Spec.LoadBalancerIP,
		ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicy(intern(string(svc.Spec.ExternalTrafficPolicy))),
	}
	if len(svc.Labels) > 0 {
		s.Labels = svc.Labels
	}
	for k, v := range svc.Annotations {
		if strings.HasPrefix(k, "ironlb.io/") {
			if s.Annotations == nil {
				s.Annotations = map[string]string{}
			}
			s.Annotations[intern(k)] = v
		}
	}
	if c := svc.Spec.LoadBalancerClass; c != nil {
		if *c == v1alpha1.LoadBalancerClass {
			s.Class = &ourClass
		} else {
			s.Class = c
		}
	}
	if p := svc.Spec.IPFamilyPolicy; p != nil {
		s.IPFamilyPolicy = corev1.IPFamilyPolicy(intern(string(*p)))
	}
	s.IPFamilies = families(svc.Spec.IPFamilies)
	if len(svc.Spec.Ports) > 0 {
		s.Ports = make([]allocator.Port, len(svc.Spec.Ports))
		for i, p := range svc.Spec.Ports {
			proto := p.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			s.Ports[i] = allocator.Port{Protocol: intern(string(proto)), Port: uint16(p.Port)}
		}
	}
	if svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
		s.Selector = labels.Set(svc.Spec.Selector).String()
	}
	if in := svc.Status.LoadBalancer.Ingress; len(in) > 0 {
		s.Ingress = make([]Ingress, len(in))
		for i, e := range in {
			s.Ingress[i] = Ingress{IP: e.IP, Hostname: e.Hostname}
			if e.IPMode != nil {
				s.Ingress[i].IPMode = corev1.LoadBalancerIPMode(intern(string(*e.IPMode)))
			}
		}
	}
	n := 0
	for _, c := range svc.Status.Conditions {
		if strings.HasPrefix(c.Type, "ironlb.io/") {
			n++
		}
	}
	if n > 0 {
		s.Conditions = make([]Condition, 0, n)
		for _, c := range svc.Status.Conditions {
			if strings.HasPrefix(c.Type, "ironlb.io/") {
				s.Conditions = append(s.Conditions, Condition{
					Type:               intern(c.Type),
					Status:             metav1.ConditionStatus(intern(string(c.Status))),
					Reason:             intern(c.Reason),
					ObservedGeneration: c.ObservedGeneration,
					LastTransitionTime: c.LastTransitionTime.Unix(),
					MessageHash:        Hash(c.Message),
				})
			}
		}
	}
	return s
}

var ourClass = v1alpha1.LoadBalancerClass

// The common family lists, shared by every Service that has one.
var (
	v4     = []corev1.IPFamily{corev1.IPv4Protocol}
	v6     = []corev1.IPFamily{corev1.IPv6Protocol}
	v4v6   = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
	v6v4   = []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}
	shared = [][]corev1.IPFamily{v4, v6, v4v6, v6v4}
)

func families(fs []corev1.IPFamily) []corev1.IPFamily {
	for _, s := range shared {
		if slices.Equal(s, fs) {
			return s
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return append([]corev1.IPFamily(nil), fs...)
}

// intern returns the canonical copy of s, so that Services sharing a value
// share its bytes. The copies are weakly held: a value no Service uses any
// more is collected.
func intern(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}
