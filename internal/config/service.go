package config

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/ironlb/ironlb/api/v1alpha1"
)

// Served reports whether ironlb serves svc: type LoadBalancer with ironlb's
// class, or with no class when serveClassless is set. The controller and
// the speaker must agree on it, so both call this.
func Served(svc *corev1.Service, serveClassless bool) bool {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return false
	}
	if svc.Spec.LoadBalancerClass == nil {
		return serveClassless
	}
	return *svc.Spec.LoadBalancerClass == v1alpha1.LoadBalancerClass
}
