package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
)

// eventually polls check until it returns nil or the timeout passes. Polling
// waits for the system to converge; what is asserted is the state reached.
func eventually(t *testing.T, timeout time.Duration, check func(ctx context.Context) error) {
	t.Helper()
	ctx := t.Context()
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = check(ctx); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not reached in %s: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// allocated waits until the Service's Allocated condition has the reason
// and returns the Service.
func allocated(t *testing.T, ns, name, reason string) *corev1.Service {
	t.Helper()
	var svc corev1.Service
	eventually(t, 20*time.Second, func(ctx context.Context) error {
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &svc); err != nil {
			return err
		}
		c := meta.FindStatusCondition(svc.Status.Conditions, ironlbv1.ServiceConditionAllocated)
		if c == nil || c.Reason != reason || c.ObservedGeneration != svc.Generation {
			return fmt.Errorf("Service %s/%s condition %+v, want reason %s", ns, name, c, reason)
		}
		return nil
	})
	return &svc
}

func condition(svc *corev1.Service) *metav1.Condition {
	return meta.FindStatusCondition(svc.Status.Conditions, ironlbv1.ServiceConditionAllocated)
}

func ingressIPs(svc *corev1.Service) []string {
	var ips []string
	for _, in := range svc.Status.LoadBalancer.Ingress {
		ips = append(ips, in.IP)
	}
	return ips
}

// eventsFor lists the Events recorded about a Service with the reason.
func eventsFor(t *testing.T, svc *corev1.Service, reason string) []eventsv1.Event {
	t.Helper()
	var list eventsv1.EventList
	if err := env.Client.List(t.Context(), &list, client.InNamespace(svc.Namespace)); err != nil {
		t.Fatal(err)
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Name == svc.Name && e.Regarding.Kind == "Service" && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// eventuallyIngress waits for the Service's ingress addresses.
func eventuallyIngress(t *testing.T, ns, name string, want []string) {
	t.Helper()
	eventually(t, 20*time.Second, func(ctx context.Context) error {
		var svc corev1.Service
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &svc); err != nil {
			return err
		}
		if got := ingressIPs(&svc); !slices.Equal(got, want) {
			return fmt.Errorf("Service %s/%s ingress %v, want %v", ns, name, got, want)
		}
		return nil
	})
}
