package app_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
)

func TestSharing(t *testing.T) {
	startController(t, testOptions())
	ns := namespace(t, nil)
	create(t, ipPool("share", "198.51.100.32/29"))

	shared := func(name, key string, ports ...int32) *corev1.Service {
		s := lbService(ns, name, ports...)
		s.Annotations[ironlbv1.AnnotationSharingKey] = key
		return s
	}
	create(t, shared("web", "k", 80))
	web := allocated(t, ns, "web", ironlbv1.ReasonAllocated)

	// Same key, other port: same address.
	create(t, shared("dns", "k", 53))
	dns := allocated(t, ns, "dns", ironlbv1.ReasonAllocated)
	if diff := cmp.Diff(ingressIPs(web), ingressIPs(dns)); diff != "" {
		t.Errorf("dns does not share web's address (-web +dns):\n%s", diff)
	}

	// Same key, overlapping port: its own address.
	create(t, shared("web2", "k", 80))
	web2 := allocated(t, ns, "web2", ironlbv1.ReasonAllocated)
	if cmp.Equal(ingressIPs(web), ingressIPs(web2)) {
		t.Errorf("web2 shares %v with web though both use port 80", ingressIPs(web))
	}

	// Asking for web's address with the same port is refused.
	clash := shared("clash", "k", 80)
	clash.Annotations[ironlbv1.AnnotationIPs] = ingressIPs(web)[0]
	create(t, clash)
	allocated(t, ns, "clash", ironlbv1.ReasonIPInUse)

	// Another key cannot take a shared address.
	other := shared("other", "x", 443)
	other.Annotations[ironlbv1.AnnotationIPs] = ingressIPs(web)[0]
	create(t, other)
	allocated(t, ns, "other", ironlbv1.ReasonIPInUse)

	// Traffic policies must agree: Local cannot join Cluster sharers.
	local := shared("local", "k", 8443)
	local.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	local.Annotations[ironlbv1.AnnotationIPs] = ingressIPs(web)[0]
	create(t, local)
	allocated(t, ns, "local", ironlbv1.ReasonIPInUse)
}

func TestDualStack(t *testing.T) {
	startController(t, testOptions())
	ns := namespace(t, nil)
	create(t, ipPool("ds-v4", "198.51.100.48/30"))
	create(t, ipPool("ds-v6", "2001:db8:200::/126"))

	svc := func(name string, policy corev1.IPFamilyPolicy, fams ...corev1.IPFamily) *corev1.Service {
		s := lbService(ns, name)
		s.Spec.IPFamilyPolicy = &policy
		s.Spec.IPFamilies = fams
		return s
	}
	create(t, svc("require", corev1.IPFamilyPolicyRequireDualStack, corev1.IPv6Protocol, corev1.IPv4Protocol))
	got := allocated(t, ns, "require", ironlbv1.ReasonAllocated)
	if diff := cmp.Diff([]string{"2001:db8:200::", "198.51.100.48"}, ingressIPs(got)); diff != "" {
		t.Errorf("RequireDualStack ingress, in ipFamilies order (-want +got):\n%s", diff)
	}
	create(t, svc("single", corev1.IPFamilyPolicySingleStack, corev1.IPv6Protocol))
	got = allocated(t, ns, "single", ironlbv1.ReasonAllocated)
	if diff := cmp.Diff([]string{"2001:db8:200::1"}, ingressIPs(got)); diff != "" {
		t.Errorf("SingleStack IPv6 ingress (-want +got):\n%s", diff)
	}

	// Fill the IPv6 pool, then ask for both families: PreferDualStack gets
	// IPv4 alone and its IPv6 address once one is freed; RequireDualStack
	// gets nothing.
	create(t, svc("fill-a", corev1.IPFamilyPolicySingleStack, corev1.IPv6Protocol))
	fill := svc("fill-b", corev1.IPFamilyPolicySingleStack, corev1.IPv6Protocol)
	create(t, fill)
	allocated(t, ns, "fill-a", ironlbv1.ReasonAllocated)
	allocated(t, ns, "fill-b", ironlbv1.ReasonAllocated)

	create(t, svc("prefer", corev1.IPFamilyPolicyPreferDualStack, corev1.IPv4Protocol, corev1.IPv6Protocol))
	got = allocated(t, ns, "prefer", ironlbv1.ReasonAllocated)
	if diff := cmp.Diff([]string{"198.51.100.49"}, ingressIPs(got)); diff != "" {
		t.Errorf("PreferDualStack with IPv6 exhausted (-want +got):\n%s", diff)
	}
	require2 := svc("require2", corev1.IPFamilyPolicyRequireDualStack, corev1.IPv4Protocol, corev1.IPv6Protocol)
	create(t, require2)
	got = allocated(t, ns, "require2", ironlbv1.ReasonPoolExhausted)
	if len(got.Status.LoadBalancer.Ingress) != 0 {
		t.Errorf("RequireDualStack got %v with IPv6 exhausted; want nothing", ingressIPs(got))
	}
	// Out of the way, so that prefer alone waits for the next IPv6 address.
	if err := env.Client.Delete(t.Context(), require2); err != nil {
		t.Fatal(err)
	}

	if err := env.Client.Delete(t.Context(), fill); err != nil {
		t.Fatal(err)
	}
	eventuallyIngress(t, ns, "prefer", []string{"198.51.100.49", "2001:db8:200::3"})
}
