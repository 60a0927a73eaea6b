// Package lbsvc is the form in which the controller caches a Service: only
// the fields it reads, with the values most Services share (namespaces,
// protocols, reasons, class) interned, and its own conditions' messages
// kept as hashes. With 10,000 Services the cache is most of the
// controller's memory; this form holds one in about a fifth of what a
// decoded corev1.Service takes (BenchmarkCachedSize: 407 against 1,888 B).
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
	"k8s.io/utils/ptr"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/allocator"
	"github.com/ironlb/ironlb/internal/config"
)

// Service is a cached Service. Read it, never change it: the cache hands
// out its own copy.
//
// The spec's enumerations are kept as one byte each, and what few Services
// set (spec.loadBalancerIP, the selector of a Local policy) behind one
// pointer, so that the record fits 192 bytes; read them through their
// methods.
type Service struct {
	// Name is a part of id, so that both cost one string.
	Namespace, Name string
	id              string
	// uid is metadata.uid when it is a UUID in the API's form, as the
	// apiserver writes it; else rare.uid holds it.
	uid [16]byte
	// No resourceVersion: nothing reads it from the cache (status
	// patches carry none), and it is a string per Service.
	Generation int64
	// Created is metadata.creationTimestamp in Unix seconds, the
	// precision the API keeps.
	Created int64
	// Labels are nil when there are none.
	Labels map[string]string
	// Annotations holds the ironlb.io/ annotations only; nil when none.
	Annotations map[string]string
	Class       *string
	// Ports in spec order; an empty protocol reads as TCP.
	Ports   []allocator.Port
	Ingress []Ingress
	// Conditions are ironlb's own (ironlb.io/Allocated, ironlb.io/Announced).
	Conditions []Condition

	rare *rare
	// Codes into serviceTypes, trafficPolicies, familyPolicies and
	// familyLists; an unknown value is kept in rare.
	typ, trafficPolicy, familyPolicy, families uint8
}

// rare holds what few Services have.
type rare struct {
	uid            types.UID
	loadBalancerIP string
	selector       string
	// Values the API does not define today; kept as they came.
	typ           corev1.ServiceType
	trafficPolicy corev1.ServiceExternalTrafficPolicy
	familyPolicy  corev1.IPFamilyPolicy
	families      []corev1.IPFamily
}

// unknown is the code of a value kept in rare.
const unknown = 255

var (
	serviceTypes = []corev1.ServiceType{"", corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort,
		corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName}
	trafficPolicies = []corev1.ServiceExternalTrafficPolicy{"", corev1.ServiceExternalTrafficPolicyCluster,
		corev1.ServiceExternalTrafficPolicyLocal}
	familyPolicies = []corev1.IPFamilyPolicy{"", corev1.IPFamilyPolicySingleStack,
		corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack}
	// The family lists the API allows, shared by every Service that has
	// one.
	familyLists = [][]corev1.IPFamily{nil, {corev1.IPv4Protocol}, {corev1.IPv6Protocol},
		{corev1.IPv4Protocol, corev1.IPv6Protocol}, {corev1.IPv6Protocol, corev1.IPv4Protocol}}
)

// code returns v's index in known, or unknown.
func code[T ~string](known []T, v T) uint8 {
	if i := slices.Index(known, v); i >= 0 {
		return uint8(i)
	}
	return unknown
}

// UID is metadata.uid.
func (s *Service) UID() types.UID {
	if s.rare != nil && s.rare.uid != "" {
		return s.rare.uid
	}
	if s.uid == ([16]byte{}) {
		return ""
	}
	const dashes = 4
	var b [2*len(s.uid) + dashes]byte
	j := 0
	for i, x := range s.uid {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexDigits[x>>4], hexDigits[x&0xf]
		j += 2
	}
	return types.UID(b[:])
}

const hexDigits = "0123456789abcdef"

// parseUID reads a UUID in the form the apiserver writes
// (8-4-4-4-12 lower-case hex digits).
func parseUID(u types.UID) (b [16]byte, ok bool) {
	if len(u) != 36 {
		return b, false
	}
	j := 0
	for i := 0; i < len(u); {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if u[i] != '-' {
				return b, false
			}
			i++
			continue
		}
		hi, ok1 := fromHex(u[i])
		lo, ok2 := fromHex(u[i+1])
		if !ok1 || !ok2 {
			return b, false
		}
		b[j] = hi<<4 | lo
		j++
		i += 2
	}
	return b, b != [16]byte{}
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Type is spec.type.
func (s *Service) Type() corev1.ServiceType {
	if s.typ == unknown {
		return s.rare.typ
	}
	return serviceTypes[s.typ]
}

// ExternalTrafficPolicy is spec.externalTrafficPolicy.
func (s *Service) ExternalTrafficPolicy() corev1.ServiceExternalTrafficPolicy {
	if s.trafficPolicy == unknown {
		return s.rare.trafficPolicy
	}
	return trafficPolicies[s.trafficPolicy]
}

// IPFamilyPolicy is spec.ipFamilyPolicy; "" when unset.
func (s *Service) IPFamilyPolicy() corev1.IPFamilyPolicy {
	if s.familyPolicy == unknown {
		return s.rare.familyPolicy
	}
	return familyPolicies[s.familyPolicy]
}

// IPFamilies is spec.ipFamilies; shared, never change it.
func (s *Service) IPFamilies() []corev1.IPFamily {
	if s.families == unknown {
		return s.rare.families
	}
	return familyLists[s.families]
}

// LoadBalancerIP is spec.loadBalancerIP.
func (s *Service) LoadBalancerIP() string {
	if s.rare == nil {
		return ""
	}
	return s.rare.loadBalancerIP
}

// Selector is spec.selector in label syntax, for the Local policy only
// (sharing an address needs the same endpoints); else "".
func (s *Service) Selector() string {
	if s.rare == nil {
		return ""
	}
	return s.rare.selector
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
	Reason             string
	ObservedGeneration int64
	// LastTransitionTime in Unix seconds.
	LastTransitionTime int64
	MessageHash        uint64
	// Codes into conditionTypes and statuses.
	typ, status uint8
}

var (
	conditionTypes = []string{v1alpha1.ServiceConditionAllocated, v1alpha1.ServiceConditionAnnounced}
	statuses       = []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown}
)

// Type is the condition's type.
func (c *Condition) Type() string { return conditionTypes[c.typ] }

// Status is the condition's status.
func (c *Condition) Status() metav1.ConditionStatus { return statuses[c.status] }

var seed = maphash.MakeSeed()

// Hash is the MessageHash of a condition message.
func Hash(message string) uint64 { return maphash.String(seed, message) }

// Says reports whether c says what want says: status, reason and message.
// A change of any of them is worth an Event.
func (c *Condition) Says(want *metav1.Condition) bool {
	return c != nil && c.Status() == want.Status && c.Reason == want.Reason && c.MessageHash == Hash(want.Message)
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
	if old != nil && old.Status() == want.Status {
		want.LastTransitionTime = metav1.Unix(old.LastTransitionTime, 0)
	}
	return want
}

// Condition returns the condition of this type, or nil.
func (s *Service) Condition(typ string) *Condition {
	for i := range s.Conditions {
		if s.Conditions[i].Type() == typ {
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
	return config.ServedClass(s.Type(), s.Class, serveClassless)
}

// Ref is a Service that names this one, for Events.
func (s *Service) Ref() *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{
		Namespace: s.Namespace, Name: s.Name, UID: s.UID(),
	}}
}

// GetObjectMeta lets client-go's caches key and index a Service by
// namespace and name.
func (s *Service) GetObjectMeta() metav1.Object {
	return &metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name, UID: s.UID()}
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
	sp := &svc.Spec
	s := &Service{
		Namespace:     intern(svc.Namespace),
		Name:          id[len(svc.Namespace)+1:],
		id:            id,
		Generation:    svc.Generation,
		Created:       svc.CreationTimestamp.Unix(),
		typ:           code(serviceTypes, sp.Type),
		trafficPolicy: code(trafficPolicies, sp.ExternalTrafficPolicy),
		familyPolicy:  code(familyPolicies, ptr.Deref(sp.IPFamilyPolicy, "")),
		families:      unknown,
	}
	for i, l := range familyLists {
		if slices.Equal(l, sp.IPFamilies) {
			s.families = uint8(i)
			break
		}
	}
	r := rare{loadBalancerIP: sp.LoadBalancerIP}
	var uidOK bool
	if s.uid, uidOK = parseUID(svc.UID); !uidOK {
		r.uid = svc.UID
	}
	if sp.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
		r.selector = labels.Set(sp.Selector).String()
	}
	if s.typ == unknown {
		r.typ = sp.Type
	}
	if s.trafficPolicy == unknown {
		r.trafficPolicy = sp.ExternalTrafficPolicy
	}
	if s.familyPolicy == unknown {
		r.familyPolicy = *sp.IPFamilyPolicy
	}
	if s.families == unknown {
		r.families = slices.Clone(sp.IPFamilies)
	}
	if r.uid != "" || r.loadBalancerIP != "" || r.selector != "" || slices.Contains([]uint8{s.typ, s.trafficPolicy, s.familyPolicy, s.families}, unknown) {
		s.rare = &r
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
	if c := sp.LoadBalancerClass; c != nil {
		if *c == v1alpha1.LoadBalancerClass {
			s.Class = &ourClass
		} else {
			s.Class = c
		}
	}
	if len(sp.Ports) > 0 {
		s.Ports = make([]allocator.Port, len(sp.Ports))
		for i, p := range sp.Ports {
			proto := p.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			s.Ports[i] = allocator.Port{Protocol: intern(string(proto)), Port: uint16(p.Port)}
		}
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
		if ours(&c) {
			n++
		}
	}
	if n > 0 {
		s.Conditions = make([]Condition, 0, n)
		for _, c := range svc.Status.Conditions {
			if ours(&c) {
				s.Conditions = append(s.Conditions, Condition{
					typ:                code(conditionTypes, c.Type),
					status:             code(statuses, c.Status),
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

// ours reports whether c is one of the conditions ironlb writes, with a
// status the API allows.
func ours(c *metav1.Condition) bool {
	return code(conditionTypes, c.Type) != unknown && code(statuses, c.Status) != unknown
}

var ourClass = v1alpha1.LoadBalancerClass

// intern returns the canonical copy of s, so that Services sharing a value
// share its bytes. The copies are weakly held: a value no Service uses any
// more is collected.
func intern(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}
