package service

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/internal/allocator"
)

func TestIngressMode(t *testing.T) {
	held := []allocator.Assignment{{IP: netip.MustParseAddr("203.0.113.1")}, {IP: netip.MustParseAddr("2001:db8::1")}}
	current := []lbsvc.Ingress{{IP: "203.0.113.1", IPMode: corev1.LoadBalancerIPModeProxy}}
	modes := func(in []corev1.LoadBalancerIngress) []corev1.LoadBalancerIPMode {
		var out []corev1.LoadBalancerIPMode
		for _, i := range in {
			out = append(out, *i.IPMode)
		}
		return out
	}
	// A readable request sets the mode of every address.
	if diff := cmp.Diff([]corev1.LoadBalancerIPMode{"VIP", "VIP"}, modes(ingress(held, corev1.LoadBalancerIPModeVIP, current))); diff != "" {
		t.Errorf("requested VIP (-want +got):\n%s", diff)
	}
	// An unreadable one keeps what each address had; new ones get VIP.
	if diff := cmp.Diff([]corev1.LoadBalancerIPMode{"Proxy", "VIP"}, modes(ingress(held, "", current))); diff != "" {
		t.Errorf("no mode requested (-want +got):\n%s", diff)
	}
}
