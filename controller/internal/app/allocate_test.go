package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
)

func TestAllocatesLowestFreeAddress(t *testing.T) {
	startController(t, testOptions())
	ns := namespace(t, nil)
	create(t, ipPool("basic", "198.51.100.16/29"))

	create(t, lbService(ns, "a"))
	a := allocated(t, ns, "a", ironlbv1.ReasonAllocated)
	create(t, lbService(ns, "b"))
	b := allocated(t, ns, "b", ironlbv1.ReasonAllocated)

	if diff := cmp.Diff([]string{"198.51.100.16"}, ingressIPs(a)); diff != "" {
		t.Errorf("a ingress (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"198.51.100.17"}, ingressIPs(b)); diff != "" {
		t.Errorf("b ingress (-want +got):\n%s", diff)
	}
	if m := a.Status.LoadBalancer.Ingress[0].IPMode; m == nil || *m != corev1.LoadBalancerIPModeVIP {
		t.Errorf("ipMode = %v, want VIP", m)
	}
	if got := condition(a).Message; got != `assigned 198.51.100.16 from IPPool "basic"` {
		t.Errorf("message = %q", got)
	}
	eventually(t, 10*time.Second, func(context.Context) error {
		if n := len(eventsFor(t, a, ironlbv1.ReasonAllocated)); n != 1 {
			return fmt.Errorf("%d Allocated events for a, want 1", n)
		}
		return nil
	})

	// Deleting a frees its address; the next Service gets it back.
	if err := env.Client.Delete(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	create(t, lbService(ns, "c"))
	eventually(t, 10*time.Second, func(ctx context.Context) error {
		var c corev1.Service
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "c"}, &c); err != nil {
			return err
		}
		if got := ingressIPs(&c); !cmp.Equal(got, []string{"198.51.100.16"}) {
			return fmt.Errorf("c ingress %v, want the freed 198.51.100.16", got)
		}
		return nil
	})
}
