// Package service allocates external addresses to LoadBalancer Services.
//
// The reconciler gathers a Service, the parsed configuration and the
// allocator's state; pure functions in this package turn them into a request
// and a desired status; the reconciler applies the difference.
package service

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/internal/allocator"
)

// Want is what a Service asks for, read from its spec and annotations.
type Want struct {
	// Families wanted, in the order of spec.ipFamilies.
	Families []allocator.Family
	// Policy is spec.ipFamilyPolicy (SingleStack when unset).
	Policy corev1.IPFamilyPolicy
	// IPs asked for by ironlb.io/ips or spec.loadBalancerIP.
	IPs []netip.Addr
	// Pool named by ironlb.io/pool, or "".
	Pool       string
	SharingKey string
	IPMode     corev1.LoadBalancerIPMode
	Ports      []allocator.Port
	// TrafficKey is "" for externalTrafficPolicy Cluster; for Local it
	// carries the selector, since only Services with the same endpoints may
	// share an address announced from those endpoints' nodes.
	TrafficKey string
}

// InvalidError is a request the user must change; Error says how.
type InvalidError struct{ msg string }

func (e *InvalidError) Error() string { return e.msg }

func invalidf(format string, args ...any) error {
	return &InvalidError{msg: fmt.Sprintf(format, args...)}
}

// Desired reads what svc asks for. An error is an *InvalidError naming the
// field or annotation to fix.
func Desired(svc *lbsvc.Service) (Want, error) {
	w := Want{
		Policy:     corev1.IPFamilyPolicySingleStack,
		SharingKey: strings.TrimSpace(svc.Annotations[v1alpha1.AnnotationSharingKey]),
		Pool:       strings.TrimSpace(svc.Annotations[v1alpha1.AnnotationPool]),
		IPMode:     corev1.LoadBalancerIPModeVIP,
	}
	if p := svc.IPFamilyPolicy(); p != "" {
		w.Policy = p
	}
	for _, f := range svc.IPFamilies() {
		switch f {
		case corev1.IPv4Protocol:
			w.Families = append(w.Families, allocator.IPv4)
		case corev1.IPv6Protocol:
			w.Families = append(w.Families, allocator.IPv6)
		}
	}
	if len(w.Families) == 0 {
		// The apiserver always fills spec.ipFamilies; be safe if it did not.
		w.Families = []allocator.Family{allocator.IPv4}
	}
	if w.Policy == corev1.IPFamilyPolicySingleStack {
		w.Families = w.Families[:1]
	}

	switch mode := svc.Annotations[v1alpha1.AnnotationIPMode]; mode {
	case "", string(corev1.LoadBalancerIPModeVIP):
	case string(corev1.LoadBalancerIPModeProxy):
		w.IPMode = corev1.LoadBalancerIPModeProxy
	default:
		return w, invalidf("annotation %s is %q: use VIP (the default) or Proxy", v1alpha1.AnnotationIPMode, mode)
	}

	ips, err := requestedIPs(svc, w.Families)
	if err != nil {
		return w, err
	}
	w.IPs = ips

	// Read, never changed: the cache's own.
	w.Ports = svc.Ports
	if svc.ExternalTrafficPolicy() == corev1.ServiceExternalTrafficPolicyLocal {
		w.TrafficKey = "Local/" + svc.Selector()
	}
	return w, nil
}

// requestedIPs reads ironlb.io/ips and spec.loadBalancerIP, at most one
// address per family, each of a family the Service has.
func requestedIPs(svc *lbsvc.Service, families []allocator.Family) ([]netip.Addr, error) {
	var ips []netip.Addr
	if raw, ok := svc.Annotations[v1alpha1.AnnotationIPs]; ok {
		for part := range strings.SplitSeq(raw, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			ip, err := netip.ParseAddr(part)
			if err != nil || ip.Zone() != "" || ip.Is4In6() {
				return nil, invalidf("annotation %s: %q is not an IP address; write one address per family, comma-separated, such as 203.0.113.10,2001:db8::10", v1alpha1.AnnotationIPs, part)
			}
			ips = append(ips, ip)
		}
		if len(ips) == 0 {
			return nil, invalidf("annotation %s is empty: give an address, or remove the annotation", v1alpha1.AnnotationIPs)
		}
	}
	if lbIP := svc.LoadBalancerIP(); lbIP != "" {
		ip, err := netip.ParseAddr(lbIP)
		if err != nil || ip.Zone() != "" || ip.Is4In6() {
			return nil, invalidf("spec.loadBalancerIP %q is not an IP address", lbIP)
		}
		switch {
		case len(ips) == 0:
			ips = []netip.Addr{ip}
		case !slices.Contains(ips, ip):
			return nil, invalidf("spec.loadBalancerIP %s conflicts with annotation %s %q: keep one of them (spec.loadBalancerIP is deprecated)", ip, v1alpha1.AnnotationIPs, svc.Annotations[v1alpha1.AnnotationIPs])
		}
	}
	var seen [2]bool
	for _, ip := range ips {
		f := allocator.FamilyOf(ip)
		if !slices.Contains(families, f) {
			return nil, invalidf("requested address %s is %s, but the Service's IP families are %v: change spec.ipFamilies/ipFamilyPolicy or the address", ip, f, families)
		}
		i := 0
		if f == allocator.IPv6 {
			i = 1
		}
		if seen[i] {
			return nil, invalidf("annotation %s names two %s addresses: give at most one per family", v1alpha1.AnnotationIPs, f)
		}
		seen[i] = true
	}
	return ips, nil
}
