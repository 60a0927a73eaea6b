package app_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	corev1 "k8s.io/api/core/v1"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
)

// TestTenancy: a pool that names namespaces serves only them, even to a
// Service asking for one of its addresses; label changes on a namespace are
// honoured for new allocations.
func TestTenancy(t *testing.T) {
	startController(t, testOptions())
	tenant := namespace(t, nil)
	outsider := namespace(t, nil)
	create(t, ipPool("tenancy-open", "198.51.100.64/30"))
	private := ipPool("tenancy-private", "198.51.100.72/30")
	private.Spec.Allocation = &ironlbv1.IPPoolAllocation{
		Namespaces:        []string{tenant},
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "blue"}},
		Priority:          -1, // tried first by those it serves
	}
	create(t, private)

	create(t, lbService(tenant, "mine"))
	got := allocated(t, tenant, "mine", ironlbv1.ReasonAllocated)
	if diff := cmp.Diff([]string{"198.51.100.72"}, ingressIPs(got)); diff != "" {
		t.Errorf("tenant Service (-want +got):\n%s", diff)
	}
	create(t, lbService(outsider, "theirs"))
	got = allocated(t, outsider, "theirs", ironlbv1.ReasonAllocated)
	if diff := cmp.Diff([]string{"198.51.100.64"}, ingressIPs(got)); diff != "" {
		t.Errorf("outsider Service gets the open pool (-want +got):\n%s", diff)
	}

	steal := lbService(outsider, "steal")
	steal.Annotations[ironlbv1.AnnotationIPs] = "198.51.100.75"
	create(t, steal)
	allocated(t, outsider, "steal", ironlbv1.ReasonNotAllowed)
	byName := lbService(outsider, "by-name")
	byName.Annotations[ironlbv1.AnnotationPool] = "tenancy-private"
	create(t, byName)
	allocated(t, outsider, "by-name", ironlbv1.ReasonNotAllowed)

	// Labelling the outsider's namespace team=blue lets it in: the waiting
	// Services get the addresses they asked for.
	var ns corev1.Namespace
	if err := env.Client.Get(t.Context(), client.ObjectKey{Name: outsider}, &ns); err != nil {
		t.Fatal(err)
	}
	ns.Labels = map[string]string{"team": "blue"}
	if err := env.Client.Update(context.Background(), &ns); err != nil {
		t.Fatal(err)
	}
	eventuallyIngress(t, outsider, "steal", []string{"198.51.100.75"})
	eventuallyIngress(t, outsider, "by-name", []string{"198.51.100.73"})
}
