package announce

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ironlb/ironlb/internal/election"
)

// l2Base is three live nodes that published their links (eth0 on the LAN,
// eth1 on a second segment), an L2 pool and one announcement of it on
// every node with the default links.
func l2Base() L2Input {
	var nodes []L2Node
	for _, n := range []string{"node1", "node2", "node3"} {
		nodes = append(nodes, L2Node{Name: n, Live: true, LinksKnown: true,
			Links: []string{"eth0", "eth1"}, DefaultLinks: []string{"eth0"}})
	}
	return L2Input{
		Self:  "node1",
		Nodes: nodes,
		Pools: []Pool{
			{Name: "bgp", Ranges: []Range{{ip("203.0.113.0"), ip("203.0.113.255")}}},
			{Name: "l2", Ranges: []Range{
				{ip("198.51.100.200"), ip("198.51.100.250")},
				{ip("2001:db8:100::200"), ip("2001:db8:100::250")},
			}},
		},
		Announcements: []L2Announcement{{Name: "lan", Pools: []string{"l2"}, Nodes: []string{"node1", "node2", "node3"}}},
	}
}

func TestComputeL2(t *testing.T) {
	const vip = "198.51.100.200"
	all := []string{"node1", "node2", "node3"}
	// rank is the election order for vip among all three nodes, so that the
	// cases below state "the best live candidate" without hard-coding hash
	// values (election's own tests pin those).
	rank := election.Rank(ip(vip), all)
	eps := []Endpoint{ready("node2")}
	tests := []struct {
		name string
		edit func(*L2Input)
		want L2Address
	}{{
		name: "best of all live nodes owns, on its default link",
		edit: func(in *L2Input) {},
		want: L2Address{Owner: rank[0], Interfaces: []string{"eth0"}, Services: []string{"ns/a"}},
	}, {
		name: "a dead node is passed over",
		edit: func(in *L2Input) { node(in, rank[0]).Live = false },
		want: L2Address{Owner: rank[1], Interfaces: []string{"eth0"}, Services: []string{"ns/a"}},
	}, {
		name: "an excluded node is passed over",
		edit: func(in *L2Input) { node(in, rank[0]).Excluded = true },
		want: L2Address{Owner: rank[1], Interfaces: []string{"eth0"}, Services: []string{"ns/a"}},
	}, {
		name: "Local: only the node with a local endpoint",
		edit: func(in *L2Input) { in.Services[0].Local = true },
		want: L2Address{Owner: "node2", Interfaces: []string{"eth0"}, Services: []string{"ns/a"}},
	}, {
		name: "Local: a serving terminating endpoint counts",
		edit: func(in *L2Input) {
			in.Services[0].Local = true
			in.Services[0].Endpoints = []Endpoint{{Node: "node3", Serving: true, Terminating: true}}
		},
		want: L2Address{Owner: "node3", Interfaces: []string{"eth0"}, Services: []string{"ns/a"}},
	}, {
		name: "Local without a live local endpoint has no owner",
		edit: func(in *L2Input) {
			in.Services[0].Local = true
			node(in, "node2").Live = false
		},
		want: L2Address{Services: []string{"ns/a"}, Reason: ReasonNoLocalEndpoint},
	}, {
		name: "no endpoints, no owner",
		edit: func(in *L2Input) { in.Services[0].Endpoints = nil },
		want: L2Address{Services: []string{"ns/a"}, Reason: ReasonNoEndpoints},
	}, {
		name: "no live node",
		edit: func(in *L2Input) {
			for i := range in.Nodes {
				in.Nodes[i].Live = false
			}
		},
		want: L2Address{Services: []string{"ns/a"}, Reason: ReasonNoLiveNode},
	}, {
		name: "only the selected node",
		edit: func(in *L2Input) { in.Announcements[0].Nodes = []string{rank[2]} },
		want: L2Address{Owner: rank[2], Interfaces: []string{"eth0"}, Services: []string{"ns/a"}},
	}, {
		name: "selected node is excluded",
		edit: func(in *L2Input) {
			in.Announcements[0].Nodes = []string{rank[2]}
			node(in, rank[2]).Excluded = true
		},
		want: L2Address{Services: []string{"ns/a"}, Reason: ReasonNoSelectedNode},
	}, {
		name: "interface by name",
		edit: func(in *L2Input) { in.Announcements[0].Interfaces = []string{"eth1"} },
		want: L2Address{Owner: rank[0], Interfaces: []string{"eth1"}, Services: []string{"ns/a"}},
	}, {
		name: "interface by glob",
		edit: func(in *L2Input) { in.Announcements[0].Interfaces = []string{"eth*"} },
		want: L2Address{Owner: rank[0], Interfaces: []string{"eth0", "eth1"}, Services: []string{"ns/a"}},
	}, {
		name: "the best node lost its only matching link",
		edit: func(in *L2Input) {
			in.Announcements[0].Interfaces = []string{"eth1"}
			node(in, rank[0]).Links = []string{"eth0"}
		},
		want: L2Address{Owner: rank[1], Interfaces: []string{"eth1"}, Services: []string{"ns/a"}},
	}, {
		name: "no node has a matching link",
		edit: func(in *L2Input) { in.Announcements[0].Interfaces = []string{"wlan*"} },
		want: L2Address{Services: []string{"ns/a"}, Reason: ReasonNoUsableLink},
	}, {
		name: "a node that published no links stays a candidate",
		edit: func(in *L2Input) {
			in.Announcements[0].Interfaces = []string{"wlan*"}
			n := node(in, rank[1])
			n.LinksKnown, n.Links, n.DefaultLinks = false, nil, nil
		},
		want: L2Address{Owner: rank[1], Services: []string{"ns/a"}},
	}, {
		name: "two announcements of the pool add their links",
		edit: func(in *L2Input) {
			in.Announcements = append(in.Announcements, L2Announcement{Name: "second", Pools: []string{"l2"}, Nodes: all, Interfaces: []string{"eth1"}})
		},
		want: L2Address{Owner: rank[0], Interfaces: []string{"eth0", "eth1"}, Services: []string{"ns/a"}},
	}, {
		name: "a shared address is elected over the union of its Services",
		edit: func(in *L2Input) {
			in.Services[0].Local = true
			in.Services[0].Endpoints = nil
			in.Services = append(in.Services, svc("ns/b", true, []Endpoint{ready("node3")}, vip))
		},
		want: L2Address{Owner: "node3", Interfaces: []string{"eth0"}, Services: []string{"ns/a", "ns/b"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := l2Base()
			in.Services = []Service{svc("ns/a", false, eps, vip)}
			tt.edit(&in)
			for _, self := range all {
				in.Self = self
				p := ComputeL2(in)
				if diff := cmp.Diff(map[netip.Addr]L2Address{ip(vip): tt.want}, p.IPs); diff != "" {
					t.Fatalf("%s: IPs (-want +got):\n%s", self, diff)
				}
				want := map[netip.Addr][]string{}
				if tt.want.Owner == self && len(tt.want.Interfaces) > 0 {
					want[ip(vip)] = tt.want.Interfaces
				}
				if diff := cmp.Diff(want, p.Owned); diff != "" {
					t.Errorf("%s: Owned (-want +got):\n%s", self, diff)
				}
			}
		})
	}
}

func node(in *L2Input, name string) *L2Node {
	for i := range in.Nodes {
		if in.Nodes[i].Name == name {
			return &in.Nodes[i]
		}
	}
	panic("no node " + name)
}

func TestComputeL2Scope(t *testing.T) {
	in := l2Base()
	in.Services = []Service{
		svc("ns/bgp", false, []Endpoint{ready("node1")}, "203.0.113.7"),
		svc("ns/v6", false, []Endpoint{ready("node1")}, "2001:db8:100::201"),
		svc("ns/stray", false, []Endpoint{ready("node1")}, "198.51.100.9"),
	}
	p := ComputeL2(in)
	if _, ok := p.IPs[ip("203.0.113.7")]; ok {
		t.Error("an address of a pool no L2Announcement covers is in the plan")
	}
	if _, ok := p.IPs[ip("198.51.100.9")]; ok {
		t.Error("an address outside every pool is in the plan")
	}
	if got := p.IPs[ip("2001:db8:100::201")]; got.Owner == "" {
		t.Errorf("IPv6 address has no owner: %+v", got)
	}
	in.Announcements = nil
	if p := ComputeL2(in); len(p.IPs)+len(p.Owned) != 0 {
		t.Errorf("without announcements the plan is %+v, want empty", p)
	}
}

// TestComputeL2OneOwner checks, over random clusters, what DESIGN.md §4
// promises: every speaker computes the same owners, each address has
// exactly one owner among the nodes' own plans, and a node that dies moves
// only the addresses it owned.
func TestComputeL2OneOwner(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		in := l2Base()
		in.Nodes = nil
		var names []string
		for i := range 2 + r.IntN(8) {
			n := fmt.Sprintf("node%d", i)
			names = append(names, n)
			in.Nodes = append(in.Nodes, L2Node{Name: n, Live: r.IntN(5) > 0, Excluded: r.IntN(10) == 0,
				LinksKnown: true, Links: []string{"eth0"}, DefaultLinks: []string{"eth0"}})
		}
		in.Announcements[0].Nodes = names
		for i := range 30 {
			var eps []Endpoint
			for range r.IntN(3) {
				eps = append(eps, ready(names[r.IntN(len(names))]))
			}
			in.Services = append(in.Services, svc(fmt.Sprintf("ns/s%d", i), r.IntN(2) == 0, eps,
				fmt.Sprintf("198.51.100.%d", 200+r.IntN(20))))
		}
		owners := map[netip.Addr]string{}
		var first map[netip.Addr]L2Address
		for _, self := range names {
			in.Self = self
			p := ComputeL2(in)
			if first == nil {
				first = p.IPs
			} else if diff := cmp.Diff(first, p.IPs); diff != "" {
				t.Fatalf("trial %d: %s disagrees (-first +self):\n%s", trial, self, diff)
			}
			for a := range p.Owned {
				if o, dup := owners[a]; dup {
					t.Fatalf("trial %d: %s owned by %s and %s", trial, a, o, self)
				}
				owners[a] = self
			}
		}
		for a, addr := range first {
			if addr.Owner != owners[a] {
				t.Fatalf("trial %d: %s: plan says owner %q, nodes' own plans say %q", trial, a, addr.Owner, owners[a])
			}
		}
		// Kill one owner: only its addresses move.
		var victim string
		for _, o := range owners {
			victim = o
			break
		}
		if victim == "" {
			continue
		}
		node(&in, victim).Live = false
		after := ComputeL2(in).IPs
		for a, addr := range first {
			if addr.Owner != victim && addr.Owner != after[a].Owner {
				t.Fatalf("trial %d: %s moved from %s to %s though only %s died", trial, a, addr.Owner, after[a].Owner, victim)
			}
		}
	}
}
