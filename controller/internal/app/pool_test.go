package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/metricstest"
)

// poolStatus waits until check accepts the pool's status.
func poolStatus(t *testing.T, name string, check func(*ironlbv1.IPPoolStatus) error) {
	t.Helper()
	eventually(t, 20*time.Second, func(ctx context.Context) error {
		var p ironlbv1.IPPool
		if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, &p); err != nil {
			return err
		}
		if err := check(&p.Status); err != nil {
			return fmt.Errorf("IPPool %s: %w", name, err)
		}
		return nil
	})
}

func TestPoolStatus(t *testing.T) {
	o := testOptions()
	reg := prometheus.NewRegistry()
	o.Registry = reg
	startController(t, o)
	ns := namespace(t, nil)
	create(t, ipPool("status-a", "198.51.100.80/29", "2001:db8:200::/64"))
	create(t, lbService(ns, "one"))
	create(t, lbService(ns, "two"))
	allocated(t, ns, "one", ironlbv1.ReasonAllocated)
	allocated(t, ns, "two", ironlbv1.ReasonAllocated)

	poolStatus(t, "status-a", func(st *ironlbv1.IPPoolStatus) error {
		want := &ironlbv1.IPPoolStatus{
			IPv4: &ironlbv1.FamilyUsage{Total: "8", Assigned: 2, Available: "6", Usage: "2/8"},
			IPv6: &ironlbv1.FamilyUsage{Total: "18446744073709551616", Assigned: 0, Available: "18446744073709551616", Usage: "0/18446744073709551616"},
		}
		if diff := cmp.Diff(want.IPv4, st.IPv4); diff != "" {
			return fmt.Errorf("IPv4 (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want.IPv6, st.IPv6); diff != "" {
			return fmt.Errorf("IPv6 (-want +got):\n%s", diff)
		}
		if !meta.IsStatusConditionTrue(st.Conditions, ironlbv1.ConditionReady) ||
			!meta.IsStatusConditionFalse(st.Conditions, ironlbv1.ConditionConflict) {
			return fmt.Errorf("conditions %+v, want Ready and no Conflict", st.Conditions)
		}
		return nil
	})

	// The metrics say the same.
	eventually(t, 10*time.Second, func(context.Context) error {
		if got := metricstest.Value(t, reg, "ironlb_pool_addresses", map[string]string{"pool": "status-a", "family": "IPv4", "state": "assigned"}); got != 2 {
			return fmt.Errorf("assigned IPv4 gauge = %v, want 2", got)
		}
		if got := metricstest.Value(t, reg, "ironlb_pool_addresses", map[string]string{"pool": "status-a", "family": "IPv4", "state": "available"}); got != 6 {
			return fmt.Errorf("available IPv4 gauge = %v, want 6", got)
		}
		if got := metricstest.Value(t, reg, "ironlb_allocations_total", map[string]string{"result": ironlbv1.ReasonAllocated}); got < 2 {
			return fmt.Errorf("allocations_total{result=Allocated} = %v, want at least 2", got)
		}
		return nil
	})

	// A younger pool overlapping it is in Conflict and unused; the older
	// one keeps working.
	create(t, ipPool("status-b", "198.51.100.84/30"))
	poolStatus(t, "status-b", func(st *ironlbv1.IPPoolStatus) error {
		c := meta.FindStatusCondition(st.Conditions, ironlbv1.ConditionConflict)
		if c == nil || c.Status != metav1.ConditionTrue || !strings.Contains(c.Message, "status-a") {
			return fmt.Errorf("Conflict %+v, want True naming status-a", c)
		}
		if meta.IsStatusConditionTrue(st.Conditions, ironlbv1.ConditionReady) || st.IPv4 != nil {
			return fmt.Errorf("status %+v, want not Ready and no usage", st)
		}
		return nil
	})
	poolStatus(t, "status-a", func(st *ironlbv1.IPPoolStatus) error {
		if !meta.IsStatusConditionTrue(st.Conditions, ironlbv1.ConditionReady) {
			return fmt.Errorf("older pool not Ready: %+v", st.Conditions)
		}
		return nil
	})

	// Once the older pool is gone (its two addresses stay with their
	// Services), the younger one has no conflict left: a change of one
	// pool rechecks the others.
	if err := env.Client.Delete(t.Context(), ipPool("status-a")); err != nil {
		t.Fatal(err)
	}
	poolStatus(t, "status-b", func(st *ironlbv1.IPPoolStatus) error {
		if !meta.IsStatusConditionFalse(st.Conditions, ironlbv1.ConditionConflict) ||
			!meta.IsStatusConditionTrue(st.Conditions, ironlbv1.ConditionReady) {
			return fmt.Errorf("conditions %+v, want Ready and no Conflict", st.Conditions)
		}
		return nil
	})
}

// TestPoolRemovedKeepsAddresses: deleting or shrinking a pool never takes an
// address from a Service; it is kept, reserved and reported.
func TestPoolRemovedKeepsAddresses(t *testing.T) {
	startController(t, testOptions())
	ns := namespace(t, nil)
	shrink := ipPool("removed-shrink", "198.51.100.96/29")
	create(t, shrink)
	gone := ipPool("removed-gone", "198.51.100.104/29")
	create(t, gone)

	a := lbService(ns, "a")
	a.Annotations[ironlbv1.AnnotationIPs] = "198.51.100.103"
	create(t, a)
	b := lbService(ns, "b")
	b.Annotations[ironlbv1.AnnotationPool] = "removed-gone"
	create(t, b)
	allocated(t, ns, "a", ironlbv1.ReasonAllocated)
	allocated(t, ns, "b", ironlbv1.ReasonAllocated)

	// a's request names its address; drop the annotation so it is an
	// ordinary auto request, then shrink the pool under it.
	if err := env.Client.Get(t.Context(), client.ObjectKeyFromObject(a), a); err != nil {
		t.Fatal(err)
	}
	// Merge patches, not updates: the controller writes both objects'
	// status meanwhile, and an update of a copy read before that would be
	// refused as a conflict.
	patch := client.MergeFrom(a.DeepCopy())
	delete(a.Annotations, ironlbv1.AnnotationIPs)
	if err := env.Client.Patch(t.Context(), a, patch); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(t.Context(), client.ObjectKeyFromObject(shrink), shrink); err != nil {
		t.Fatal(err)
	}
	patch = client.MergeFrom(shrink.DeepCopy())
	shrink.Spec.Addresses = []ironlbv1.AddressRange{"198.51.100.96/30"}
	if err := env.Client.Patch(t.Context(), shrink, patch); err != nil {
		t.Fatal(err)
	}
	got := allocated(t, ns, "a", ironlbv1.ReasonPoolRemoved)
	if diff := cmp.Diff([]string{"198.51.100.103"}, ingressIPs(got)); diff != "" {
		t.Errorf("a after shrink (-want +got):\n%s", diff)
	}
	eventually(t, 10*time.Second, func(context.Context) error {
		if n := len(eventsFor(t, got, ironlbv1.ReasonPoolRemoved)); n != 1 {
			return fmt.Errorf("%d PoolRemoved events, want 1", n)
		}
		return nil
	})
	poolStatus(t, "removed-shrink", func(st *ironlbv1.IPPoolStatus) error {
		c := meta.FindStatusCondition(st.Conditions, ironlbv1.ConditionReady)
		if c == nil || !strings.Contains(c.Message, "198.51.100.103 ("+ns+"/a)") {
			return fmt.Errorf("Ready %+v, want it to name the kept address", c)
		}
		return nil
	})

	// b's pool is deleted: b keeps its address (it named the pool, so it is
	// told the pool is gone but does not lose what it has).
	if err := env.Client.Delete(t.Context(), gone); err != nil {
		t.Fatal(err)
	}
	got = allocated(t, ns, "b", ironlbv1.ReasonNoEligiblePool)
	if diff := cmp.Diff([]string{"198.51.100.104"}, ingressIPs(got)); diff != "" {
		t.Errorf("b after its pool was deleted (-want +got):\n%s", diff)
	}

	// The kept address stays reserved: a new pool over it does not hand
	// it out again.
	create(t, ipPool("removed-again", "198.51.100.100/30"))
	for i := range 3 {
		create(t, lbService(ns, fmt.Sprintf("new-%d", i)))
	}
	for i := range 3 {
		got := allocated(t, ns, fmt.Sprintf("new-%d", i), ironlbv1.ReasonAllocated)
		if ingressIPs(got)[0] == "198.51.100.103" {
			t.Errorf("new-%d got the kept address 198.51.100.103", i)
		}
	}
}
