package announce

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var (
	ip = netip.MustParseAddr
	pf = netip.MustParsePrefix
)

func u32(v uint32) *uint32 { return &v }

// base is a node with two peers (eBGP "router", iBGP "router2"), one dual-stack
// pool and one announcement of it to both peers.
func base() Input {
	return Input{
		Node: Node{Name: "node1", Addrs: []netip.Addr{ip("198.51.100.11"), ip("2001:db8:100::11")}},
		Pools: []Pool{
			{Name: "bgp", Ranges: []Range{
				{ip("203.0.113.0"), ip("203.0.113.255")},
				{ip("2001:db8:200::"), ip("2001:db8:200::ff")},
			}},
			{Name: "l2", Ranges: []Range{{ip("198.51.100.200"), ip("198.51.100.250")}}},
		},
		Peers: []Peer{
			{Name: "router", Address: ip("198.51.100.1")},
			{Name: "router2", Address: ip("198.51.100.2"), IBGP: true},
		},
		BGPAnnouncements: []BGPAnnouncement{{
			Name: "all", Pools: []string{"bgp"}, Peers: []string{"router", "router2"},
			AggregationLength: 32, AggregationLengthV6: 128,
		}},
	}
}

func ready(node string) Endpoint { return Endpoint{Node: node, Ready: true, Serving: true} }

func svc(key string, local bool, eps []Endpoint, ips ...string) Service {
	s := Service{Key: key, Local: local, Endpoints: eps}
	for _, a := range ips {
		s.IPs = append(s.IPs, ip(a))
	}
	return s
}

func advert(prefix, nh string, services ...string) Advert {
	return Advert{Prefix: pf(prefix), NextHop: ip(nh), Services: services}
}

func TestCompute(t *testing.T) {
	both := []string{"router", "router2"}
	tests := []struct {
		name     string
		edit     func(*Input)
		adverts  map[string][]Advert
		services map[string]ServicePlan
	}{{
		name: "cluster policy: a ready endpoint on another node is enough",
		edit: func(in *Input) {
			in.Services = []Service{svc("a/web", false, []Endpoint{ready("node2")}, "203.0.113.7")}
		},
		adverts: map[string][]Advert{
			"router":  {advert("203.0.113.7/32", "198.51.100.11", "a/web")},
			"router2": {advert("203.0.113.7/32", "198.51.100.11", "a/web")},
		},
		services: map[string]ServicePlan{"a/web": {Peers: both}},
	}, {
		name: "dual-stack: each family has the node's address of that family as next hop",
		edit: func(in *Input) {
			in.Services = []Service{svc("a/web", false, []Endpoint{ready("node1")}, "203.0.113.7", "2001:db8:200::7")}
		},
		adverts: map[string][]Advert{
			"router": {
				advert("203.0.113.7/32", "198.51.100.11", "a/web"),
				advert("2001:db8:200::7/128", "2001:db8:100::11", "a/web"),
			},
			"router2": {
				advert("203.0.113.7/32", "198.51.100.11", "a/web"),
				advert("2001:db8:200::7/128", "2001:db8:100::11", "a/web"),
			},
		},
		services: map[string]ServicePlan{"a/web": {Peers: both}},
	}, {
		name: "no endpoints: nothing advertised, sessions kept",
		edit: func(in *Input) {
			in.Services = []Service{svc("a/web", false, nil, "203.0.113.7")}
		},
		services: map[string]ServicePlan{"a/web": {Reason: ReasonNoEndpoints}},
	}, {
		name: "not-ready endpoints do not count",
		edit: func(in *Input) {
			in.Services = []Service{svc("a/web", false, []Endpoint{{Node: "node1"}}, "203.0.113.7")}
		},
		services: map[string]ServicePlan{"a/web": {Reason: ReasonNoEndpoints}},
	}, {
		name: "local policy: only a node with a local endpoint advertises",
		edit: func(in *Input) {
			in.Services = []Service{
				svc("a/remote", true, []Endpoint{ready("node2")}, "203.0.113.7"),
				svc("a/here", true, []Endpoint{ready("node2"), ready("node1")}, "203.0.113.8"),
			}
		},
		adverts: map[string][]Advert{
			"router":  {advert("203.0.113.8/32", "198.51.100.11", "a/here")},
			"router2": {advert("203.0.113.8/32", "198.51.100.11", "a/here")},
		},
		services: map[string]ServicePlan{
			"a/remote": {Reason: ReasonNoLocalEndpoint},
			"a/here":   {Peers: both},
		},
	}, {
		name: "serving and terminating endpoints keep the route; terminating alone does not",
		edit: func(in *Input) {
			in.Services = []Service{
				svc("a/rolling", true, []Endpoint{{Node: "node1", Serving: true, Terminating: true}}, "203.0.113.7"),
				svc("a/gone", true, []Endpoint{{Node: "node1", Terminating: true}}, "203.0.113.8"),
			}
		},
		adverts: map[string][]Advert{
			"router":  {advert("203.0.113.7/32", "198.51.100.11", "a/rolling")},
			"router2": {advert("203.0.113.7/32", "198.51.100.11", "a/rolling")},
		},
		services: map[string]ServicePlan{
			"a/rolling": {Peers: both},
			"a/gone":    {Reason: ReasonNoLocalEndpoint},
		},
	}, {
		name: "excluded node advertises nothing",
		edit: func(in *Input) {
			in.Node.Excluded = true
			in.Services = []Service{svc("a/web", false, []Endpoint{ready("node1")}, "203.0.113.7")}
		},
		services: map[string]ServicePlan{"a/web": {Reason: ReasonNodeExcluded}},
	}, {
		name: "aggregation merges Services into one route",
		edit: func(in *Input) {
			in.BGPAnnouncements[0].AggregationLength = 24
			in.BGPAnnouncements[0].Peers = []string{"router"}
			in.Services = []Service{
				svc("a/one", false, []Endpoint{ready("node1")}, "203.0.113.7"),
				svc("a/two", false, []Endpoint{ready("node3")}, "203.0.113.200"),
			}
		},
		adverts: map[string][]Advert{
			"router": {advert("203.0.113.0/24", "198.51.100.11", "a/one", "a/two")},
		},
		services: map[string]ServicePlan{
			"a/one": {Peers: []string{"router"}},
			"a/two": {Peers: []string{"router"}},
		},
	}, {
		name: "attributes: communities are the union, local-pref goes to iBGP only",
		edit: func(in *Input) {
			in.BGPAnnouncements[0].Communities = []uint32{65000<<16 | 100, 0xFFFFFF01}
			in.BGPAnnouncements[0].LocalPref = u32(200)
			in.BGPAnnouncements = append(in.BGPAnnouncements, BGPAnnouncement{
				Name: "extra", Pools: []string{"bgp"}, Peers: []string{"router"},
				AggregationLength: 32, AggregationLengthV6: 128,
				Communities:      []uint32{65000<<16 | 100, 65000<<16 | 7},
				LargeCommunities: []LargeCommunity{{64500, 1, 2}},
			})
			in.Services = []Service{svc("a/web", false, []Endpoint{ready("node1")}, "203.0.113.7")}
		},
		adverts: map[string][]Advert{
			"router": {{
				Prefix: pf("203.0.113.7/32"), NextHop: ip("198.51.100.11"),
				Communities:      []uint32{65000<<16 | 7, 65000<<16 | 100, 0xFFFFFF01},
				LargeCommunities: []LargeCommunity{{64500, 1, 2}},
				Services:         []string{"a/web"},
			}},
			"router2": {{
				Prefix: pf("203.0.113.7/32"), NextHop: ip("198.51.100.11"),
				Communities: []uint32{65000<<16 | 100, 0xFFFFFF01},
				LocalPref:   200,
				Services:    []string{"a/web"},
			}},
		},
		services: map[string]ServicePlan{"a/web": {Peers: both}},
	}, {
		name: "pool that no announcement selects",
		edit: func(in *Input) {
			in.Services = []Service{svc("a/l2", false, []Endpoint{ready("node1")}, "198.51.100.200")}
		},
		services: map[string]ServicePlan{"a/l2": {Reason: ReasonNoAnnouncement}},
	}, {
		name: "address in no pool (pool deleted under it)",
		edit: func(in *Input) {
			in.Services = []Service{svc("a/old", false, []Endpoint{ready("node1")}, "198.18.5.5")}
		},
		services: map[string]ServicePlan{"a/old": {Reason: ReasonNotInPool}},
	}, {
		name: "announcement names a peer that does not select this node",
		edit: func(in *Input) {
			in.Peers = in.Peers[:1]
			in.Services = []Service{svc("a/web", false, []Endpoint{ready("node1")}, "203.0.113.7")}
		},
		adverts: map[string][]Advert{
			"router": {advert("203.0.113.7/32", "198.51.100.11", "a/web")},
		},
		services: map[string]ServicePlan{"a/web": {Peers: []string{"router"}}},
	}, {
		name: "no peer selects this node",
		edit: func(in *Input) {
			in.Peers = nil
			in.Services = []Service{svc("a/web", false, []Endpoint{ready("node1")}, "203.0.113.7")}
		},
		services: map[string]ServicePlan{"a/web": {Reason: ReasonNoPeer}},
	}, {
		name: "IPv6 address on a node without IPv6",
		edit: func(in *Input) {
			in.Node.Addrs = in.Node.Addrs[:1]
			in.Services = []Service{svc("a/v6", false, []Endpoint{ready("node1")}, "2001:db8:200::9")}
		},
		services: map[string]ServicePlan{"a/v6": {Reason: ReasonNoNodeAddress}},
	}, {
		name: "no router ID: nothing advertised",
		edit: func(in *Input) {
			in.Node.Addrs = []netip.Addr{ip("2001:db8:100::11")}
			in.Services = []Service{svc("a/web", false, []Endpoint{ready("node1")}, "2001:db8:200::7")}
		},
		services: map[string]ServicePlan{"a/web": {Reason: ReasonNoRouterID}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := base()
			tc.edit(&in)
			got := Compute(in)
			want := tc.adverts
			if want == nil {
				want = map[string][]Advert{}
			}
			if diff := cmp.Diff(want, got.Adverts, cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Adverts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.services, got.Services, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Services (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"router", "router2"}[:len(in.Peers)], got.Peers, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Peers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouterID(t *testing.T) {
	in := base()
	if got := Compute(in).RouterID; got != ip("198.51.100.11") {
		t.Errorf("RouterID = %v, want the node's IPv4 address", got)
	}
	in.Peers[1].RouterID = ip("198.18.255.1")
	if got := Compute(in).RouterID; got != ip("198.18.255.1") {
		t.Errorf("RouterID = %v, want the one router2 sets", got)
	}
	in = base()
	in.Node.Addrs = []netip.Addr{ip("2001:db8:100::11")}
	p := Compute(in)
	if p.RouterID.IsValid() || p.Problem == "" {
		t.Errorf("RouterID = %v, Problem = %q; want none and a problem", p.RouterID, p.Problem)
	}
}

// The plan does not depend on the order of the input.
func TestComputeDeterministic(t *testing.T) {
	in := base()
	in.BGPAnnouncements = append(in.BGPAnnouncements, BGPAnnouncement{
		Name: "agg", Pools: []string{"bgp"}, Peers: []string{"router2"},
		AggregationLength: 28, AggregationLengthV6: 120, Communities: []uint32{1, 2, 3},
	})
	for i := range 200 {
		in.Services = append(in.Services, svc(
			"ns/s"+string(rune('a'+i%26))+string(rune('a'+i/26)), i%3 == 0,
			[]Endpoint{ready("node" + string(rune('1'+i%3)))},
			netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}).String()))
	}
	want := Compute(in)
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		r.Shuffle(len(in.Services), func(i, j int) { in.Services[i], in.Services[j] = in.Services[j], in.Services[i] })
		r.Shuffle(len(in.Peers), func(i, j int) { in.Peers[i], in.Peers[j] = in.Peers[j], in.Peers[i] })
		r.Shuffle(len(in.BGPAnnouncements), func(i, j int) {
			in.BGPAnnouncements[i], in.BGPAnnouncements[j] = in.BGPAnnouncements[j], in.BGPAnnouncements[i]
		})
		got := Compute(in)
		if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})); diff != "" {
			t.Fatalf("plan depends on input order (-first +shuffled):\n%s", diff)
		}
	}
}
