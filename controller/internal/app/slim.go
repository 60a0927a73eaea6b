package app

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"
)

// slim drops from cached objects what the controller never reads, which
// is most of a Service: with 10,000 Services the cache dominates the
// controller's memory. Patches are computed between two copies of the same
// slimmed object, so the dropped fields are never written back.
func slim(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
		m.SetOwnerReferences(nil)
		m.SetFinalizers(nil)
	}
	switch o := obj.(type) {
	case *corev1.Service:
		// Keep ironlb's annotations only; kubectl's last-applied
		// configuration alone is often larger than the rest.
		for k := range o.Annotations {
			if !strings.HasPrefix(k, "ironlb.io/") {
				delete(o.Annotations, k)
			}
		}
		s := &o.Spec
		// The selector only matters to sharing with the Local policy
		// (both Services must select the same Pods); a map per Service
		// is a fifth of what is left of it.
		if s.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
			s.Selector = nil
		}
		s.ClusterIP, s.ClusterIPs, s.ExternalIPs, s.ExternalName = "", nil, nil, ""
		s.SessionAffinity, s.SessionAffinityConfig = "", nil
		s.LoadBalancerSourceRanges, s.InternalTrafficPolicy, s.TrafficDistribution = nil, nil, nil
		s.HealthCheckNodePort, s.PublishNotReadyAddresses = 0, false
		for i := range s.Ports {
			p := &s.Ports[i]
			p.Name, p.AppProtocol, p.NodePort, p.TargetPort = "", nil, 0, corev1.ServicePort{}.TargetPort
		}
	case *corev1.Namespace:
		o.Annotations = nil
		o.Spec = corev1.NamespaceSpec{}
	case *corev1.Node:
		// Only labels are read (BGPPeer nodeSelectors); a Node's status
		// (images, conditions) is most of it.
		o.Annotations = nil
		o.Spec, o.Status = corev1.NodeSpec{}, corev1.NodeStatus{}
	case *corev1.Secret:
		o.Annotations = nil
	}
	return obj, nil
}

var _ cache.TransformFunc = slim
