package config_test

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
)

// A reconciler parses everything, uses what is valid and writes each
// object's problems into its conditions.
func ExampleParse() {
	older := metav1.Unix(1700000000, 0)
	newer := metav1.Unix(1700000600, 0)
	cfg, problems := config.Parse(config.Input{
		Pools: []v1alpha1.IPPool{
			{ObjectMeta: metav1.ObjectMeta{Name: "bgp", CreationTimestamp: older}, Spec: v1alpha1.IPPoolSpec{Addresses: []v1alpha1.AddressRange{"203.0.113.0/24"}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "lab", CreationTimestamp: newer}, Spec: v1alpha1.IPPoolSpec{Addresses: []v1alpha1.AddressRange{"203.0.113.128/25"}}},
		},
		L2Announcements: []v1alpha1.L2Announcement{
			{ObjectMeta: metav1.ObjectMeta{Name: "lan"}, Spec: v1alpha1.L2AnnouncementSpec{IPPools: []v1alpha1.ObjectName{"bgp", "lab"}}},
		},
	})
	for name, pool := range cfg.Pools {
		fmt.Println(name, pool.Ranges)
	}
	fmt.Println("lan announces", cfg.L2Announcements[0].Pools)
	for _, p := range problems.For(config.KindIPPool, "lab") {
		fmt.Println(p.Reason+":", p.Message)
	}
	fmt.Println(problems.For(config.KindL2Announcement, "lan")[0])
	// Output:
	// bgp [203.0.113.0/24]
	// lan announces [bgp]
	// Overlap: 203.0.113.128/25 is also in IPPool "bgp" (its spec.addresses[0], 203.0.113.0/24), which was created earlier and takes precedence; this pool is not used until the overlap is removed
	// L2Announcement "lan": spec.ipPools[1]: IPPool "lab" is not used: it overlaps an older pool; see its conditions
}
