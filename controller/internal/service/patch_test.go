package service

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/utils/ptr"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/lbsvc"
)

// TestStatusPatch applies the patch as the apiserver does (strategic merge
// with the Service's schema) and checks that it sets the ingress and the
// Allocated condition and leaves everything else alone.
func TestStatusPatch(t *testing.T) {
	then := metav1.NewTime(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	announced := metav1.Condition{Type: ironlbv1.ServiceConditionAnnounced, Status: metav1.ConditionTrue,
		Reason: "Announced", Message: "advertised", LastTransitionTime: then}
	allocated := func(status metav1.ConditionStatus, reason, msg string, at metav1.Time) metav1.Condition {
		return metav1.Condition{Type: ironlbv1.ServiceConditionAllocated, Status: status, Reason: reason,
			Message: msg, ObservedGeneration: 3, LastTransitionTime: at}
	}
	vip := func(ips ...string) []corev1.LoadBalancerIngress {
		var out []corev1.LoadBalancerIngress
		for _, ip := range ips {
			out = append(out, corev1.LoadBalancerIngress{IP: ip, IPMode: ptr.To(corev1.LoadBalancerIPModeVIP)})
		}
		return out
	}
	svc := func(ingress []corev1.LoadBalancerIngress, conds ...metav1.Condition) *corev1.Service {
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web", Generation: 3,
				Annotations: map[string]string{"ironlb.io/pool": "blue", "other": "kept"}},
			Spec:   corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 80}}},
			Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: ingress}, Conditions: conds},
		}
	}
	tests := []struct {
		name          string
		before        *corev1.Service
		ingress       []corev1.LoadBalancerIngress
		cond          metav1.Condition
		wantTransited bool // the condition's transition time is new
		wantIngress   []corev1.LoadBalancerIngress
	}{{
		name:          "first address, next to the Announced condition",
		before:        svc(nil, announced),
		ingress:       vip("198.51.100.7"),
		cond:          allocated(metav1.ConditionTrue, "Allocated", "198.51.100.7 from blue", metav1.Time{}),
		wantTransited: true,
		wantIngress:   vip("198.51.100.7"),
	}, {
		name:        "second family added: status holds, transition time kept",
		before:      svc(vip("198.51.100.7"), allocated(metav1.ConditionTrue, "Allocated", "198.51.100.7 from blue", then), announced),
		ingress:     vip("198.51.100.7", "2001:db8::7"),
		cond:        allocated(metav1.ConditionTrue, "Allocated", "198.51.100.7, 2001:db8::7 from blue", metav1.Time{}),
		wantIngress: vip("198.51.100.7", "2001:db8::7"),
	}, {
		name:          "address released: the ingress list goes",
		before:        svc(vip("198.51.100.7"), announced, allocated(metav1.ConditionTrue, "Allocated", "198.51.100.7 from blue", then)),
		ingress:       nil,
		cond:          allocated(metav1.ConditionFalse, "PoolExhausted", "no address left", metav1.Time{}),
		wantTransited: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := statusPatch(lbsvc.From(tt.before), tt.ingress, tt.cond)
			if err != nil {
				t.Fatal(err)
			}
			orig, err := json.Marshal(tt.before)
			if err != nil {
				t.Fatal(err)
			}
			merged, err := strategicpatch.StrategicMergePatch(orig, data, corev1.Service{})
			if err != nil {
				t.Fatalf("apply %s: %v", data, err)
			}
			var got corev1.Service
			if err := json.Unmarshal(merged, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.before.ObjectMeta, got.ObjectMeta); diff != "" {
				t.Errorf("metadata changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(tt.before.Spec, got.Spec); diff != "" {
				t.Errorf("spec changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIngress, got.Status.LoadBalancer.Ingress); diff != "" {
				t.Errorf("ingress (-want +got):\n%s", diff)
			}
			var gotAnn, gotAlloc *metav1.Condition
			for i := range got.Status.Conditions {
				switch c := &got.Status.Conditions[i]; c.Type {
				case ironlbv1.ServiceConditionAnnounced:
					gotAnn = c
				case ironlbv1.ServiceConditionAllocated:
					gotAlloc = c
				}
			}
			if gotAnn == nil || !gotAnn.LastTransitionTime.Equal(&then) || gotAnn.Message != "advertised" {
				t.Errorf("Announced condition %+v, want it untouched", gotAnn)
			}
			if len(got.Status.Conditions) != 2 || gotAlloc == nil {
				t.Fatalf("conditions %+v, want Announced and Allocated", got.Status.Conditions)
			}
			if gotAlloc.Status != tt.cond.Status || gotAlloc.Reason != tt.cond.Reason || gotAlloc.Message != tt.cond.Message || gotAlloc.ObservedGeneration != 3 {
				t.Errorf("Allocated condition %+v, want %+v", gotAlloc, tt.cond)
			}
			if transited := !gotAlloc.LastTransitionTime.Equal(&then); transited != tt.wantTransited || gotAlloc.LastTransitionTime.IsZero() {
				t.Errorf("transition time %v (then %v), want new: %v", gotAlloc.LastTransitionTime, then, tt.wantTransited)
			}
		})
	}
}
