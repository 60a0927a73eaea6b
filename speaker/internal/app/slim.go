package app

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"
)

// slim drops from cached objects what the speaker never reads, so that a
// node's speaker stays small with thousands of Services: it needs a
// Service's type, class, traffic policy and ingress addresses, and of an
// EndpointSlice only each endpoint's node and conditions.
func slim(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
		m.SetAnnotations(nil)
	}
	switch o := obj.(type) {
	case *corev1.Service:
		o.Spec = corev1.ServiceSpec{
			Type:                  o.Spec.Type,
			LoadBalancerClass:     o.Spec.LoadBalancerClass,
			ExternalTrafficPolicy: o.Spec.ExternalTrafficPolicy,
		}
		o.Status.Conditions = nil
	case *discoveryv1.EndpointSlice:
		o.Ports = nil
		for i := range o.Endpoints {
			ep := &o.Endpoints[i]
			ep.Addresses, ep.Hostname, ep.TargetRef, ep.DeprecatedTopology, ep.Zone, ep.Hints = nil, nil, nil, nil, nil, nil
		}
	case *corev1.Node:
		// Labels, addresses and readiness (layer-2 liveness without the
		// member list) are all the speaker reads.
		o.Spec = corev1.NodeSpec{}
		st := corev1.NodeStatus{Addresses: o.Status.Addresses}
		for _, c := range o.Status.Conditions {
			if c.Type == corev1.NodeReady {
				st.Conditions = []corev1.NodeCondition{{Type: c.Type, Status: c.Status}}
			}
		}
		o.Status = st
	}
	return obj, nil
}

var _ cache.TransformFunc = slim
