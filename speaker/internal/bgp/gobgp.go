package bgp

import (
	"fmt"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"google.golang.org/protobuf/types/known/anypb"
)

// This file converts the package's values to GoBGP API messages.

const (
	// globalTable names GoBGP's global RIB in policy assignments.
	globalTable = "global"
	// anyNeighbor and rejectImport name the import policy's objects.
	anyNeighbor  = "ironlb-any-neighbor"
	rejectImport = "ironlb-reject-import"
)

func familyIPv4() *api.Family {
	return &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
}
func familyIPv6() *api.Family {
	return &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}
}

func seconds(d time.Duration) uint64 { return uint64(d / time.Second) }

// neighbor is the GoBGP configuration of p, enslaved to VRF vrf.
func neighbor(p Peer, vrf string) *api.Peer {
	n := &api.Peer{
		Conf: &api.PeerConf{
			NeighborAddress: p.Address.String(),
			PeerAsn:         p.ASN,
			LocalAsn:        p.LocalASN,
			AuthPassword:    p.Password,
			Vrf:             vrf,
		},
		Timers: &api.Timers{Config: &api.TimersConfig{
			HoldTime:          seconds(p.HoldTime),
			KeepaliveInterval: seconds(p.KeepaliveTime),
			ConnectRetry:      seconds(p.ConnectTime),
		}},
		Transport: &api.Transport{RemotePort: uint32(p.Port)},
	}
	if p.SourceAddress.IsValid() {
		n.Transport.LocalAddress = p.SourceAddress.String()
	}
	if p.EBGPMultihop > 0 && p.ASN != p.LocalASN {
		n.EbgpMultihop = &api.EbgpMultihop{Enabled: true, MultihopTtl: uint32(p.EBGPMultihop)}
	}
	if p.GracefulRestart {
		n.GracefulRestart = &api.GracefulRestart{Enabled: true, RestartTime: uint32(seconds(p.RestartTime))}
	}
	// Both families on every session, whatever the transport: IPv6 routes
	// reach an IPv4 router in MP_REACH_NLRI (RFC 4760), and the reverse.
	// Graceful restart needs the per-family flag too, or GoBGP advertises
	// the capability with no family and routers keep nothing.
	for _, f := range []*api.Family{familyIPv4(), familyIPv6()} {
		n.AfiSafis = append(n.AfiSafis, &api.AfiSafi{
			Config:            &api.AfiSafiConfig{Family: f, Enabled: true},
			MpGracefulRestart: &api.MpGracefulRestart{Config: &api.MpGracefulRestartConfig{Enabled: p.GracefulRestart}},
		})
	}
	return n
}

// vrf is the VRF that holds one peer's paths: a route distinguisher and a
// route target of its own, which no other VRF imports. Neither leaves the
// speaker: GoBGP strips extended communities when it converts a VPN route
// back to unicast for a VRF neighbor.
func vrf(name string, id uint32) (*api.Vrf, error) {
	rd, err := apiutil.MarshalRD(bgp.NewRouteDistinguisherTwoOctetAS(0, id))
	if err != nil {
		return nil, fmt.Errorf("encode route distinguisher: %w", err)
	}
	rt, err := apiutil.MarshalRT(bgp.NewTwoOctetAsSpecificExtended(bgp.EC_SUBTYPE_ROUTE_TARGET, 0, id, true))
	if err != nil {
		return nil, fmt.Errorf("encode route target: %w", err)
	}
	return &api.Vrf{Name: name, Id: id, Rd: rd, ImportRt: []*anypb.Any{rt}, ExportRt: []*anypb.Any{rt}}, nil
}

// apiPath is p as GoBGP's API carries it.
func apiPath(p Path) (*api.Path, error) {
	addr := p.Prefix.Addr().String()
	bits := uint8(p.Prefix.Bits())
	var nlri bgp.AddrPrefixInterface
	attrs := []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(bgp.BGP_ORIGIN_ATTR_TYPE_IGP)}
	if p.Prefix.Addr().Is4() {
		nlri = bgp.NewIPAddrPrefix(bits, addr)
		attrs = append(attrs, bgp.NewPathAttributeNextHop(p.NextHop.String()))
	} else {
		nlri = bgp.NewIPv6AddrPrefix(bits, addr)
		attrs = append(attrs, bgp.NewPathAttributeMpReachNLRI(p.NextHop.String(), []bgp.AddrPrefixInterface{nlri}))
	}
	if len(p.Communities) > 0 {
		attrs = append(attrs, bgp.NewPathAttributeCommunities(p.Communities))
	}
	if len(p.LargeCommunities) > 0 {
		large := make([]*bgp.LargeCommunity, 0, len(p.LargeCommunities))
		for _, c := range p.LargeCommunities {
			large = append(large, bgp.NewLargeCommunity(c[0], c[1], c[2]))
		}
		attrs = append(attrs, bgp.NewPathAttributeLargeCommunities(large))
	}
	if p.LocalPref != 0 {
		// GoBGP strips LOCAL_PREF towards eBGP peers after export, as
		// RFC 4271 §5.1.5 requires.
		attrs = append(attrs, bgp.NewPathAttributeLocalPref(p.LocalPref))
	}
	path, err := apiutil.NewPath(nlri, false, attrs, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("encode path %v: %w", p.Prefix, err)
	}
	return path, nil
}

// importPolicy rejects every path a neighbor sends. It matches on the
// sending neighbor, which locally added paths do not have, so our own paths
// pass the same global import policy.
func importPolicy() (*api.DefinedSet, *api.Policy, *api.PolicyAssignment) {
	set := &api.DefinedSet{DefinedType: api.DefinedType_NEIGHBOR, Name: anyNeighbor, List: []string{"0.0.0.0/0", "::/0"}}
	policy := &api.Policy{
		Name: rejectImport,
		Statements: []*api.Statement{{
			Name:       rejectImport,
			Conditions: &api.Conditions{NeighborSet: &api.MatchSet{Type: api.MatchSet_ANY, Name: anyNeighbor}},
			Actions:    &api.Actions{RouteAction: api.RouteAction_REJECT},
		}},
	}
	assignment := &api.PolicyAssignment{
		Name:          globalTable,
		Direction:     api.PolicyDirection_IMPORT,
		Policies:      []*api.Policy{{Name: rejectImport}},
		DefaultAction: api.RouteAction_ACCEPT,
	}
	return set, policy, assignment
}

// stateName maps GoBGP's session states to RFC 4271 names.
func stateName(s api.PeerState_SessionState) string {
	switch s {
	case api.PeerState_CONNECT:
		return StateConnect
	case api.PeerState_ACTIVE:
		return StateActive
	case api.PeerState_OPENSENT:
		return StateOpenSent
	case api.PeerState_OPENCONFIRM:
		return StateOpenConfirm
	case api.PeerState_ESTABLISHED:
		return StateEstablished
	default:
		return StateIdle
	}
}
