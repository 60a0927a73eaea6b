package config

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/ironlb/ironlb/api/v1alpha1"
)

// Served reports whether ironlb serves svc: type LoadBalancer with ironlb's
// class, or with no class when serveClassless is set. The controller and
// the speaker must agree on it, so both call this.
func Served(svc *corev1.Service, serveClassless bool) bool {
	return ServedClass(svc.Spec.Type, svc.Spec.LoadBalancerClass, serveClassless)
}

// ServedClass is Served for a Service of this type and loadBalancerClass.
func ServedClass(typ corev1.ServiceType, class *string, serveClassless bool) bool {
	if typ != corev1.ServiceTypeLoadBalancer {
		return false
	}
	if class == nil {
		return serveClassless
	}
	return *class == v1alpha1.LoadBalancerClass
}
