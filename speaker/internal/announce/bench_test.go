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

// BenchmarkComputeL2 elects owners for n layer-2 addresses over a cluster
// of the given size: the pure part of a speaker pass in layer-2 mode.
func BenchmarkComputeL2(b *testing.B) {
	for _, c := range []struct{ services, nodes int }{{1000, 3}, {1000, 50}, {10000, 3}} {
		b.Run(fmt.Sprintf("services=%d/nodes=%d", c.services, c.nodes), func(b *testing.B) {
			in := l2Base()
			in.Nodes = nil
			var names []string
			for i := range c.nodes {
				n := fmt.Sprintf("node%d", i)
				names = append(names, n)
				in.Nodes = append(in.Nodes, L2Node{Name: n, Live: true, LinksKnown: true, Links: []string{"eth0"}, DefaultLinks: []string{"eth0"}})
			}
			in.Self = names[0]
			in.Pools = append(in.Pools, Pool{Name: "big", Ranges: []Range{{ip("198.18.64.0"), ip("198.18.127.255")}}})
			in.Announcements[0].Pools = []string{"l2", "big"}
			in.Announcements[0].Nodes = names
			a := netip.MustParseAddr("198.18.64.0")
			for i := range c.services {
				in.Services = append(in.Services, Service{
					Key: fmt.Sprintf("ns/s%d", i), IPs: []netip.Addr{a}, Local: i%2 == 0,
					Endpoints: []Endpoint{ready(names[i%c.nodes]), ready(names[(i+1)%c.nodes])},
				})
				a = a.Next()
			}
			b.ReportAllocs()
			for b.Loop() {
				if p := ComputeL2(in); len(p.IPs) != c.services {
					b.Fatalf("%d addresses, want %d", len(p.IPs), c.services)
				}
			}
		})
	}
}
