package config_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
)

func TestServed(t *testing.T) {
	svc := func(mutate ...func(*corev1.Service)) *corev1.Service {
		s := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}}
		for _, m := range mutate {
			m(s)
		}
		return s
	}
	tests := []struct {
		name      string
		svc       *corev1.Service
		classless bool
		want      bool
	}{
		{"classless served", svc(), true, true},
		{"classless not served", svc(), false, false},
		{"our class", svc(func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr(v1alpha1.LoadBalancerClass) }), false, true},
		{"other class", svc(func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr("x/y") }), true, false},
		{"not a load balancer", svc(func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }), true, false},
	}
	for _, tt := range tests {
		if got := config.Served(tt.svc, tt.classless); got != tt.want {
			t.Errorf("%s: Served = %v, want %v", tt.name, got, tt.want)
		}
	}
}
