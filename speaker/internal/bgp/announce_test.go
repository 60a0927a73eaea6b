package bgp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

var (
	host4  = netip.MustParsePrefix("198.51.100.10/32")
	host6  = netip.MustParsePrefix("2001:db8:100::10/128")
	aggr4  = netip.MustParsePrefix("198.51.100.64/26")
	other4 = netip.MustParsePrefix("198.51.100.20/32")
	nh4    = netip.MustParseAddr("203.0.113.2")
	nh6    = netip.MustParseAddr("2001:db8:ffff::2")
)

// TestAnnounce checks what a router receives over eBGP and iBGP sessions,
// carried over IPv4 and IPv6: every prefix with the next hop we set, IPv6
// routes over IPv4 sessions and the reverse, and the graceful restart
// capability when it is enabled.
func TestAnnounce(t *testing.T) {
	needNetns(t)
	grBothFamilies := &bgp.CapGracefulRestart{Time: 120, Tuples: []*bgp.CapGracefulRestartTuple{
		{AFI: bgp.AFI_IP, SAFI: bgp.SAFI_UNICAST},
		{AFI: bgp.AFI_IP6, SAFI: bgp.SAFI_UNICAST},
	}}
	for _, tc := range []struct {
		name            string
		v6Session       bool
		routerASN       uint32
		gracefulRestart bool
		wantASPath      []uint32
		wantLocalPref   uint32
		pathLocalPref   uint32
		wantAggregateLP uint32
		wantGR          *bgp.CapGracefulRestart
	}{
		{name: "eBGP over IPv4", routerASN: 65000, wantASPath: []uint32{64512}, pathLocalPref: 300, gracefulRestart: true, wantGR: grBothFamilies},
		{name: "iBGP over IPv4", routerASN: 64512, wantASPath: []uint32{}, pathLocalPref: 300, wantLocalPref: 300, wantAggregateLP: 100},
		{name: "eBGP over IPv6", v6Session: true, routerASN: 65000, wantASPath: []uint32{64512}, gracefulRestart: true, wantGR: grBothFamilies},
	} {
		t.Run(tc.name, func(t *testing.T) {
			routerAddr, speakerAddr := loopbackSubnet(t)
			if tc.v6Session {
				routerAddr, speakerAddr = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
			}
			r := newRouter(t, routerAddr, tc.routerASN)
			r.accept(t, peering{addr: speakerAddr, asn: 64512})
			s := startSpeaker(t, Options{})
			apply(t, s, Desired{
				RouterID: testRouterID,
				Peers: []Peer{{
					Name: "r", Address: routerAddr, ASN: tc.routerASN, LocalASN: 64512, SourceAddress: speakerAddr,
					GracefulRestart: tc.gracefulRestart, RestartTime: 120 * time.Second,
				}},
				Paths: map[string][]Path{"r": {
					{Prefix: host4, NextHop: nh4, LocalPref: tc.pathLocalPref},
					{Prefix: host6, NextHop: nh6},
					{Prefix: aggr4, NextHop: nh4},
				}},
			})
			r.waitRoutes(t, speakerAddr, []route{
				{Prefix: host4, NextHop: nh4, ASPath: tc.wantASPath, LocalPref: tc.wantLocalPref},
				{Prefix: aggr4, NextHop: nh4, ASPath: tc.wantASPath, LocalPref: tc.wantAggregateLP},
				{Prefix: host6, NextHop: nh6, ASPath: tc.wantASPath, LocalPref: tc.wantAggregateLP},
			})
			got := session(t, s, "r")
			if got.UpdatesSent == 0 {
				t.Error("UpdatesSent = 0 with 3 routes at the router")
			}
			got.UpdatesSent = 0
			want := Session{Peer: "r", Address: routerAddr, State: StateEstablished, PrefixesSent: 3, Attempts: 1}
			if diff := cmp.Diff(want, got, ignoreSince, equateNetip); diff != "" {
				t.Errorf("Sessions() (-want +got):\n%s", diff)
			}
			gr := r.session(t, speakerAddr).GracefulRestart
			if diff := cmp.Diff(tc.wantGR, gr, cmpopts.IgnoreFields(bgp.CapGracefulRestart{}, "DefaultParameterCapability")); diff != "" {
				t.Errorf("graceful restart capability at the router (-want +got):\n%s", diff)
			}
		})
	}
}

// ignoreSince drops the clock-dependent field from Session comparisons.
var ignoreSince = cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Since" }, cmp.Ignore())

// TestPerPeerPaths checks that each router receives exactly its own paths,
// with its own attributes for a prefix both receive, and that changing or
// withdrawing a path at one router touches neither the other router nor any
// session.
func TestPerPeerPaths(t *testing.T) {
	needNetns(t)
	addrA, speakerAddr := loopbackSubnet(t)
	addrB := addrA.Next().Next() // .3
	a := newRouter(t, addrA, 65001)
	b := newRouter(t, addrB, 64512)
	a.accept(t, peering{addr: speakerAddr, asn: 64512})
	b.accept(t, peering{addr: speakerAddr, asn: 64512})
	s := startSpeaker(t, Options{})
	peers := []Peer{
		{Name: "a", Address: addrA, ASN: 65001, LocalASN: 64512, SourceAddress: speakerAddr},
		{Name: "b", Address: addrB, ASN: 64512, LocalASN: 64512, SourceAddress: speakerAddr},
	}
	apply(t, s, Desired{RouterID: testRouterID, Peers: peers, Paths: map[string][]Path{
		"a": {
			{Prefix: host4, NextHop: nh4, Communities: []uint32{0xFFFFFF01, 65001<<16 | 7}, LargeCommunities: [][3]uint32{{64512, 1, 2}}},
			{Prefix: other4, NextHop: nh4},
		},
		"b": {
			{Prefix: host4, NextHop: nh4, Communities: []uint32{64512<<16 | 9}, LocalPref: 250},
			{Prefix: host6, NextHop: nh6, LargeCommunities: [][3]uint32{{64512, 3, 4}}},
		},
	}})
	a.waitRoutes(t, speakerAddr, []route{
		{Prefix: host4, NextHop: nh4, ASPath: []uint32{64512}, Communities: []uint32{65001<<16 | 7, 0xFFFFFF01}, LargeCommunities: [][3]uint32{{64512, 1, 2}}},
		{Prefix: other4, NextHop: nh4, ASPath: []uint32{64512}},
	})
	b.waitRoutes(t, speakerAddr, []route{
		{Prefix: host4, NextHop: nh4, ASPath: []uint32{}, Communities: []uint32{64512<<16 | 9}, LocalPref: 250},
		{Prefix: host6, NextHop: nh6, ASPath: []uint32{}, LargeCommunities: [][3]uint32{{64512, 3, 4}}, LocalPref: 100},
	})
	upA, upB := a.session(t, speakerAddr).Uptime, b.session(t, speakerAddr).Uptime
	sinceA, sinceB := session(t, s, "a").Since, session(t, s, "b").Since

	// host4 changes at a and leaves b, where it stays at a: the withdrawal
	// must reach b only. other4 leaves a; host6 gets a new next hop at b.
	nh4b := netip.MustParseAddr("203.0.113.3")
	apply(t, s, Desired{RouterID: testRouterID, Peers: peers, Paths: map[string][]Path{
		"a": {{Prefix: host4, NextHop: nh4b, Communities: []uint32{65001<<16 | 8}, LargeCommunities: [][3]uint32{{64512, 5, 6}}}},
		"b": {{Prefix: host6, NextHop: netip.MustParseAddr("2001:db8:ffff::3")}},
	}})
	a.waitRoutes(t, speakerAddr, []route{
		{Prefix: host4, NextHop: nh4b, ASPath: []uint32{64512}, Communities: []uint32{65001<<16 | 8}, LargeCommunities: [][3]uint32{{64512, 5, 6}}},
	})
	b.waitRoutes(t, speakerAddr, []route{
		{Prefix: host6, NextHop: netip.MustParseAddr("2001:db8:ffff::3"), ASPath: []uint32{}, LocalPref: 100},
	})

	// Withdrawing everything from a leaves its session up.
	apply(t, s, Desired{RouterID: testRouterID, Peers: peers, Paths: map[string][]Path{
		"b": {{Prefix: host6, NextHop: netip.MustParseAddr("2001:db8:ffff::3")}},
	}})
	a.waitRoutes(t, speakerAddr, nil)

	type uptimes struct{ RouterA, RouterB, SpeakerA, SpeakerB time.Time }
	want := uptimes{upA, upB, sinceA, sinceB}
	got := uptimes{a.session(t, speakerAddr).Uptime, b.session(t, speakerAddr).Uptime, session(t, s, "a").Since, session(t, s, "b").Since}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("path changes reset a session (-want +got):\n%s", diff)
	}
	if got := session(t, s, "a"); got.State != StateEstablished || got.PrefixesSent != 0 {
		t.Errorf("session a = %s with %d prefixes sent, want Established with 0", got.State, got.PrefixesSent)
	}
}

// TestRejectsLearnedRoutes checks that routes a router sends are not
// learned: not even one for our own prefix, which would otherwise compete
// with ours.
func TestRejectsLearnedRoutes(t *testing.T) {
	needNetns(t)
	routerAddr, speakerAddr := loopbackSubnet(t)
	r := newRouter(t, routerAddr, 65000)
	r.accept(t, peering{addr: speakerAddr, asn: 64512})
	r.originate(t, Path{Prefix: netip.MustParsePrefix("0.0.0.0/0"), NextHop: routerAddr})
	r.originate(t, Path{Prefix: host4, NextHop: routerAddr})
	s := startSpeaker(t, Options{})
	apply(t, s, Desired{
		RouterID: testRouterID,
		Peers:    []Peer{{Name: "r", Address: routerAddr, ASN: 65000, LocalASN: 64512, SourceAddress: speakerAddr}},
		Paths:    map[string][]Path{"r": {{Prefix: host4, NextHop: nh4}}},
	})
	r.waitRoutes(t, speakerAddr, []route{{Prefix: host4, NextHop: nh4, ASPath: []uint32{64512}}})

	// The router's routes did arrive, so they were rejected on import.
	waitFor(t, "routes received by the speaker", func() string {
		return cmp.Diff(uint64(2), received(t, s, routerAddr))
	})
	var learned []string
	err := s.srv.ListPath(t.Context(), &api.ListPathRequest{TableType: api.TableType_VRF, Name: "r", Family: familyIPv4()}, func(d *api.Destination) {
		for _, p := range d.Paths {
			if p.NeighborIp != "<nil>" && p.NeighborIp != "" {
				learned = append(learned, d.Prefix+" from "+p.NeighborIp)
			}
		}
	})
	if err != nil {
		t.Fatalf("list the speaker's VRF: %v", err)
	}
	if len(learned) > 0 {
		t.Errorf("the speaker learned %v", learned)
	}
	r.waitRoutes(t, speakerAddr, []route{{Prefix: host4, NextHop: nh4, ASPath: []uint32{64512}}})
}

// received counts the IPv4 routes the speaker got from the router at addr,
// before its import policy.
func received(t *testing.T, s *Speaker, addr netip.Addr) uint64 {
	t.Helper()
	var n uint64
	err := s.srv.ListPeer(t.Context(), &api.ListPeerRequest{Address: addr.String()}, func(p *api.Peer) {
		for _, af := range p.AfiSafis {
			n += af.GetState().GetReceived()
		}
	})
	if err != nil {
		t.Fatalf("list the speaker's peer: %v", err)
	}
	return n
}
