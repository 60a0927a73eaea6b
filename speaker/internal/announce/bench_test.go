package announce

import (
	"fmt"
	"net/netip"
	"testing"
)

// BenchmarkCompute plans a node with two peers and n Services of three
// endpoints each: the cost of one speaker pass's pure part.
func BenchmarkCompute(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			in := base()
			in.Pools = append(in.Pools, Pool{Name: "big", Ranges: []Range{{ip("198.18.64.0"), ip("198.18.127.255")}}})
			in.BGPAnnouncements[0].Pools = []string{"bgp", "big"}
			first := netip.MustParseAddr("198.18.64.0")
			a := first
			for i := range n {
				in.Services = append(in.Services, Service{
					Key: fmt.Sprintf("ns/s%d", i), IPs: []netip.Addr{a}, Local: i%2 == 0,
					Endpoints: []Endpoint{ready("node1"), ready("node2"), ready("node3")},
				})
				a = a.Next()
			}
			b.ReportAllocs()
			for b.Loop() {
				p := Compute(in)
				if len(p.Adverts["router"]) != n {
					b.Fatalf("%d routes, want %d", len(p.Adverts["router"]), n)
				}
			}
		})
	}
}
