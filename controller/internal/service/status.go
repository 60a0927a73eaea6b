package service

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/internal/allocator"
)

// Outcome is the result of one allocation pass for a Service.
type Outcome struct {
	// Before are the addresses the Service held before the pass, Held
	// those it holds after it.
	Before, Held []allocator.Assignment
	// IPMode is the ipMode the request asks for; empty when the request
	// could not be read, and the ingress keeps the mode it has.
	IPMode corev1.LoadBalancerIPMode
	// Status, Reason and Message make the Allocated condition.
	Status  metav1.ConditionStatus
	Reason  string
	Message string
	// Waiting is true when more capacity could complete the request, so the
	// Service is retried as soon as an address is released.
	Waiting bool
}

func describe(held []allocator.Assignment) string {
	parts := make([]string, len(held))
	for i, a := range held {
		if a.Pool == "" {
			parts[i] = a.IP.String() + " (in no IPPool)"
		} else {
			parts[i] = fmt.Sprintf("%s from IPPool %q", a.IP, a.Pool)
		}
	}
	return strings.Join(parts, ", ")
}

func allocated(held []allocator.Assignment) Outcome {
	return Outcome{Held: held, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonAllocated, Message: "assigned " + describe(held)}
}

func failed(held []allocator.Assignment, err error, waiting bool) Outcome {
	msg := err.Error()
	if len(held) > 0 {
		msg += "; the Service keeps " + describe(held) + " until the request can be met"
	}
	return Outcome{Held: held, Status: metav1.ConditionFalse, Reason: Reason(err), Message: msg, Waiting: waiting}
}

func orphaned(held []allocator.Assignment) Outcome {
	return Outcome{
		Held:   held,
		Status: metav1.ConditionTrue,
		Reason: v1alpha1.ReasonPoolRemoved,
		Message: "assigned " + describe(held) + ": an address is no longer in any Ready IPPool (its pool was deleted, " +
			"shrunk or is in conflict); the Service keeps it so that traffic is not dropped. To move the Service, " +
			"set annotation " + v1alpha1.AnnotationPool + " or " + v1alpha1.AnnotationIPs + ", or re-create it",
	}
}

// ingress is the status.loadBalancer.ingress for the held addresses. With
// no mode requested, each address keeps the mode current gives it (VIP if
// none), so an unreadable annotation never changes how traffic is handled.
func ingress(held []allocator.Assignment, mode corev1.LoadBalancerIPMode, current []lbsvc.Ingress) []corev1.LoadBalancerIngress {
	out := make([]corev1.LoadBalancerIngress, len(held))
	for i, a := range held {
		m := mode
		if m == "" {
			m = corev1.LoadBalancerIPModeVIP
			for _, in := range current {
				if in.IP == a.IP.String() && in.IPMode != "" {
					m = in.IPMode
				}
			}
		}
		out[i] = corev1.LoadBalancerIngress{IP: a.IP.String(), IPMode: &m}
	}
	return out
}

// sameIngress compares the fields ironlb writes.
func sameIngress(a []lbsvc.Ingress, b []corev1.LoadBalancerIngress) bool {
	return slices.EqualFunc(a, b, func(x lbsvc.Ingress, y corev1.LoadBalancerIngress) bool {
		return x.IP == y.IP && x.Hostname == y.Hostname && x.IPMode == mode(y)
	})
}

func mode(in corev1.LoadBalancerIngress) corev1.LoadBalancerIPMode {
	if in.IPMode == nil {
		return ""
	}
	return *in.IPMode
}

// statusPatch returns the strategic merge patch that sets the Service's
// ingress list and one of its conditions, and nothing else. The ingress
// list is atomic, so the patch replaces it whole (null removes it);
// conditions merge by type, so the Announced condition, which another
// writer owns, is left alone. The condition's transition time is kept when
// its status does not change. Built directly, the patch costs a fraction
// of diffing two copies of the Service, which a burst of allocations pays
// once per Service.
func statusPatch(svc *lbsvc.Service, ingress []corev1.LoadBalancerIngress, cond metav1.Condition) ([]byte, error) {
	cond = lbsvc.Transition(svc.Condition(cond.Type), cond, metav1.Now())
	var body struct {
		Status struct {
			LoadBalancer struct {
				Ingress []corev1.LoadBalancerIngress `json:"ingress"`
			} `json:"loadBalancer"`
			Conditions []metav1.Condition `json:"conditions"`
		} `json:"status"`
	}
	if len(ingress) > 0 {
		body.Status.LoadBalancer.Ingress = ingress
	}
	body.Status.Conditions = []metav1.Condition{cond}
	return json.Marshal(body)
}
