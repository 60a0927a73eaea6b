package allocator_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/ironlb/ironlb/internal/allocator"
)

func Example() {
	a := allocator.New()
	err := a.SetPools([]allocator.Pool{{
		Name: "lab",
		Ranges: []allocator.Range{
			allocator.PrefixRange(netip.MustParsePrefix("203.0.113.0/24")),
			allocator.PrefixRange(netip.MustParsePrefix("2001:db8:200::/120")),
		},
		AvoidBuggyIPs: true,
	}})
	if err != nil {
		panic(err)
	}

	web := allocator.Request{
		Service:    "shop/web",
		Families:   []allocator.Family{allocator.IPv4, allocator.IPv6},
		Pools:      []string{"lab"},
		SharingKey: "shop",
		Ports:      []allocator.Port{{Protocol: "TCP", Port: 443}},
	}
	got, _ := a.Assign(web)
	fmt.Println(got)

	// Another Service with the same key and other ports shares the address.
	dns := allocator.Request{
		Service:    "shop/dns",
		Families:   []allocator.Family{allocator.IPv4},
		Pools:      []string{"lab"},
		SharingKey: "shop",
		Ports:      []allocator.Port{{Protocol: "UDP", Port: 53}},
	}
	got, _ = a.Assign(dns)
	fmt.Println(got, a.Owners(got[0].IP))

	// Asking for an address someone else holds fails with a reason.
	_, err = a.Assign(allocator.Request{
		Service:  "other/app",
		Families: []allocator.Family{allocator.IPv4},
		IPs:      []netip.Addr{netip.MustParseAddr("203.0.113.1")},
		Pools:    []string{"lab"},
	})
	fmt.Println(errors.Is(err, allocator.ErrIPInUse), err)

	v4, v6 := a.Stats("lab")
	fmt.Println("IPv4", v4.Total, v4.Assigned, v4.Available, "IPv6", v6.Total, v6.Assigned, v6.Available)
	// Output:
	// [{203.0.113.1 lab} {2001:db8:200:: lab}]
	// [{203.0.113.1 lab}] [shop/dns shop/web]
	// true assign 203.0.113.1 to "other/app": held by "shop/dns", and the request has no sharing key: address in use
	// IPv4 254 1 253 IPv6 256 1 255
}
