package app

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ironlb/ironlb/controller/internal/service"
	"github.com/ironlb/ironlb/internal/config"
)

// TestSlimKeepsWhatAllocationReads: the request the controller derives
// from a slimmed Service is the one it derives from the whole Service.
func TestSlimKeepsWhatAllocationReads(t *testing.T) {
	full := func(policy corev1.ServiceExternalTrafficPolicy) *corev1.Service {
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: "demo", Name: "web", UID: "u1", Generation: 4, ResourceVersion: "77",
				Labels: map[string]string{"tier": "edge"},
				Annotations: map[string]string{
					"ironlb.io/sharing-key": "shared", "ironlb.io/pool": "blue", "ironlb.io/ips": "203.0.113.9",
					"kubectl.kubernetes.io/last-applied-configuration": "{...}",
				},
				Finalizers:      []string{"service.kubernetes.io/load-balancer-cleanup"},
				OwnerReferences: []metav1.OwnerReference{{Name: "owner"}},
				ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
			},
			Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: ptr.To("ironlb.io/ironlb"),
				Selector:              map[string]string{"app": "web"},
				ExternalTrafficPolicy: policy,
				IPFamilyPolicy:        ptr.To(corev1.IPFamilyPolicyPreferDualStack),
				IPFamilies:            []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
				ClusterIP:             "198.19.0.10", ClusterIPs: []string{"198.19.0.10", "2001:db8:1900::10"},
				Ports: []corev1.ServicePort{
					{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080), NodePort: 30080},
					{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")},
				},
			},
		}
	}
	for _, policy := range []corev1.ServiceExternalTrafficPolicy{corev1.ServiceExternalTrafficPolicyLocal, corev1.ServiceExternalTrafficPolicyCluster} {
		t.Run(string(policy), func(t *testing.T) {
			whole := full(policy)
			obj, err := slim(full(policy))
			if err != nil {
				t.Fatal(err)
			}
			slimmed := obj.(*corev1.Service)
			want, werr := service.Desired(whole)
			got, gerr := service.Desired(slimmed)
			if werr != nil || gerr != nil {
				t.Fatalf("Desired: %v / %v", werr, gerr)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("request differs once slimmed (-whole +slimmed):\n%s", diff)
			}
			if config.Served(whole, true) != config.Served(slimmed, true) {
				t.Error("served differs once slimmed")
			}
			if slimmed.Labels["tier"] != "edge" {
				t.Error("labels dropped; pools select Services by them")
			}
			if len(slimmed.Annotations) != 3 || slimmed.ManagedFields != nil || slimmed.Finalizers != nil || slimmed.OwnerReferences != nil {
				t.Errorf("metadata not slimmed: %+v", slimmed.ObjectMeta)
			}
			if (slimmed.Spec.Selector == nil) != (policy == corev1.ServiceExternalTrafficPolicyCluster) {
				t.Errorf("selector %v with policy %s", slimmed.Spec.Selector, policy)
			}
		})
	}
}
