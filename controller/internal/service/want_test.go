package service

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/internal/allocator"
	"github.com/ironlb/ironlb/internal/config"
)

func svc(mutate ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", Annotations: map[string]string{}},
		Spec: corev1.ServiceSpec{
			Type:       corev1.ServiceTypeLoadBalancer,
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			Ports:      []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}, {Port: 53, Protocol: corev1.ProtocolUDP}},
			Selector:   map[string]string{"app": "web"},
		},
	}
	for _, m := range mutate {
		m(s)
	}
	return s
}

func TestDesired(t *testing.T) {
	v4, v6 := allocator.IPv4, allocator.IPv6
	dual := func(s *corev1.Service) {
		s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyPreferDualStack)
		s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}
	}
	tests := []struct {
		name    string
		svc     *corev1.Service
		want    Want
		wantErr string
	}{{
		name: "defaults",
		svc:  svc(),
		want: Want{Families: []allocator.Family{v4}, Policy: corev1.IPFamilyPolicySingleStack, IPMode: corev1.LoadBalancerIPModeVIP,
			Ports: []allocator.Port{{Protocol: "TCP", Port: 80}, {Protocol: "UDP", Port: 53}}},
	}, {
		name: "dual stack keeps ipFamilies order",
		svc:  svc(dual, func(s *corev1.Service) { s.Annotations[v1alpha1.AnnotationIPs] = " 203.0.113.5 , 2001:db8::5" }),
		want: Want{Families: []allocator.Family{v6, v4}, Policy: corev1.IPFamilyPolicyPreferDualStack, IPMode: corev1.LoadBalancerIPModeVIP,
			IPs:   []netip.Addr{netip.MustParseAddr("203.0.113.5"), netip.MustParseAddr("2001:db8::5")},
			Ports: []allocator.Port{{Protocol: "TCP", Port: 80}, {Protocol: "UDP", Port: 53}}},
	}, {
		name: "single stack takes the first family",
		svc: svc(func(s *corev1.Service) {
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}
		}),
		want: Want{Families: []allocator.Family{v6}, Policy: corev1.IPFamilyPolicySingleStack, IPMode: corev1.LoadBalancerIPModeVIP,
			Ports: []allocator.Port{{Protocol: "TCP", Port: 80}, {Protocol: "UDP", Port: 53}}},
	}, {
		name: "pool, sharing key, proxy mode, local policy",
		svc: svc(func(s *corev1.Service) {
			s.Annotations[v1alpha1.AnnotationPool] = "lab"
			s.Annotations[v1alpha1.AnnotationSharingKey] = "k"
			s.Annotations[v1alpha1.AnnotationIPMode] = "Proxy"
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
			s.Spec.Ports = []corev1.ServicePort{{Port: 443}}
		}),
		want: Want{Families: []allocator.Family{v4}, Policy: corev1.IPFamilyPolicySingleStack, IPMode: corev1.LoadBalancerIPModeProxy,
			Pool: "lab", SharingKey: "k", TrafficKey: "Local/app=web", Ports: []allocator.Port{{Protocol: "TCP", Port: 443}}},
	}, {
		name: "loadBalancerIP agreeing with the annotation",
		svc: svc(func(s *corev1.Service) {
			s.Annotations[v1alpha1.AnnotationIPs] = "203.0.113.5"
			s.Spec.LoadBalancerIP = "203.0.113.5"
		}),
		want: Want{Families: []allocator.Family{v4}, Policy: corev1.IPFamilyPolicySingleStack, IPMode: corev1.LoadBalancerIPModeVIP,
			IPs: []netip.Addr{netip.MustParseAddr("203.0.113.5")}, Ports: []allocator.Port{{Protocol: "TCP", Port: 80}, {Protocol: "UDP", Port: 53}}},
	},
		{name: "bad ip mode", svc: svc(func(s *corev1.Service) { s.Annotations[v1alpha1.AnnotationIPMode] = "vip" }), wantErr: "use VIP (the default) or Proxy"},
		{name: "empty ips", svc: svc(func(s *corev1.Service) { s.Annotations[v1alpha1.AnnotationIPs] = " , " }), wantErr: "is empty"},
		{name: "zone", svc: svc(func(s *corev1.Service) { s.Annotations[v1alpha1.AnnotationIPs] = "fe80::1%eth0" }), wantErr: "is not an IP address"},
		{name: "mapped", svc: svc(func(s *corev1.Service) { s.Annotations[v1alpha1.AnnotationIPs] = "::ffff:203.0.113.1" }), wantErr: "is not an IP address"},
		{name: "bad loadBalancerIP", svc: svc(func(s *corev1.Service) { s.Spec.LoadBalancerIP = "x" }), wantErr: "spec.loadBalancerIP"},
		{name: "conflict", svc: svc(func(s *corev1.Service) {
			s.Annotations[v1alpha1.AnnotationIPs] = "203.0.113.5"
			s.Spec.LoadBalancerIP = "203.0.113.6"
		}), wantErr: "conflicts with annotation"},
		{name: "family not wanted", svc: svc(func(s *corev1.Service) { s.Annotations[v1alpha1.AnnotationIPs] = "2001:db8::1" }), wantErr: "IP families are [IPv4]"},
		{name: "two of a family", svc: svc(dual, func(s *corev1.Service) { s.Annotations[v1alpha1.AnnotationIPs] = "2001:db8::1,2001:db8::2" }), wantErr: "two IPv6 addresses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Desired(lbsvc.From(tt.svc))
			if tt.wantErr != "" {
				var invalid *InvalidError
				if !errors.As(err, &invalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Desired error = %v, want an InvalidError containing %q", err, tt.wantErr)
				}
				if Reason(err) != v1alpha1.ReasonInvalidRequest {
					t.Errorf("Reason = %s", Reason(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("Desired (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	pool := func(name string, prio int32, auto bool, nss ...string) *config.Pool {
		return &config.Pool{Name: name, Priority: prio, AutoAssign: auto, AllNamespaces: len(nss) == 0, Namespaces: nss}
	}
	cfg := &config.Config{Pools: map[string]*config.Pool{
		"b":       pool("b", 0, true),
		"a":       pool("a", 0, true),
		"first":   pool("first", -5, true),
		"manual":  pool("manual", -10, false),
		"private": pool("private", -20, true, "other"),
	}}
	tests := []struct {
		name    string
		want    Want
		pools   []string
		wantErr error
	}{
		{name: "auto: priority then name, no manual or foreign pools", pools: []string{"first", "a", "b"}},
		{name: "explicit address: manual pools too", want: Want{IPs: []netip.Addr{netip.MustParseAddr("203.0.113.1")}}, pools: []string{"manual", "first", "a", "b"}},
		{name: "named manual pool", want: Want{Pool: "manual"}, pools: []string{"manual"}},
		{name: "named foreign pool", want: Want{Pool: "private"}, wantErr: allocator.ErrNotAllowed},
		{name: "named missing pool", want: Want{Pool: "gone"}, wantErr: allocator.ErrNoEligiblePool},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Candidates(cfg, lbsvc.From(svc()), tt.want)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.pools, got); diff != "" {
				t.Errorf("Candidates (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Candidates(&config.Config{}, lbsvc.From(svc()), Want{}); !errors.Is(err, allocator.ErrNoEligiblePool) || Reason(err) != v1alpha1.ReasonNoEligiblePool {
		t.Errorf("no pools: error %v", err)
	}
}
