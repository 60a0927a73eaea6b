//go:build linux

package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"
)

// frrPath is a path in `show bgp <afi> unicast json detail`. The first
// element of each prefix's array describes the prefix and has no peer.
type frrPath struct {
	ASPath struct {
		Segments []struct {
			List []uint32 `json:"list"`
		} `json:"segments"`
	} `json:"aspath"`
	Multipath bool `json:"multipath"`
	Bestpath  *struct {
		Overall bool `json:"overall"`
	} `json:"bestpath"`
	LocPrf    uint32 `json:"locPrf"`
	Community *struct {
		List []string `json:"list"`
	} `json:"community"`
	LargeCommunity *struct {
		List []string `json:"list"`
	} `json:"largeCommunity"`
	Nexthops []struct {
		IP    string `json:"ip"`
		Scope string `json:"scope"`
	} `json:"nexthops"`
	Peer *struct {
		PeerID string `json:"peerId"`
	} `json:"peer"`
}

// FRRPaths returns every path the FRR router holds for each prefix of a
// family (4 or 6), with its attributes.
func (l *Lab) FRRPaths(ctx context.Context, family int) (map[netip.Prefix][]Path, error) {
	afi, err := afiName(family)
	if err != nil {
		return nil, err
	}
	out, err := l.Vtysh(ctx, "show bgp "+afi+" unicast json detail")
	if err != nil {
		return nil, err
	}
	return parseFRRPaths(out)
}

func parseFRRPaths(out []byte) (map[netip.Prefix][]Path, error) {
	var table struct {
		Routes map[string][]frrPath `json:"routes"`
	}
	if err := json.Unmarshal(out, &table); err != nil {
		return nil, fmt.Errorf("parse FRR table: %w", err)
	}
	paths := map[netip.Prefix][]Path{}
	for key, ps := range table.Routes {
		prefix, err := netip.ParsePrefix(key)
		if err != nil {
			return nil, fmt.Errorf("parse FRR table: %w", err)
		}
		for _, fp := range ps {
			if fp.Peer == nil {
				continue
			}
			paths[prefix] = append(paths[prefix], fp.path())
		}
	}
	return paths, nil
}

func (fp frrPath) path() Path {
	p := Path{Multipath: fp.Multipath, LocalPref: fp.LocPrf}
	p.Best = fp.Bestpath != nil && fp.Bestpath.Overall
	p.Peer, _ = netip.ParseAddr(fp.Peer.PeerID)
	for _, s := range fp.ASPath.Segments {
		p.ASPath = append(p.ASPath, s.List...)
	}
	if fp.Community != nil {
		p.Communities = fp.Community.List
	}
	if fp.LargeCommunity != nil {
		p.LargeCommunities = fp.LargeCommunity.List
	}
	// IPv6 paths carry a global and a link-local next hop; the global one
	// names the node.
	for _, nh := range fp.Nexthops {
		a, err := netip.ParseAddr(nh.IP)
		if err != nil {
			continue
		}
		if !p.NextHop.IsValid() || (p.NextHop.IsLinkLocalUnicast() && !a.IsLinkLocalUnicast()) {
			p.NextHop = a
		}
	}
	return p
}

// FRRRoutes returns, per prefix of a family, the next hops of the paths the
// FRR router selected: its best path and the paths that share ECMP with it.
func (l *Lab) FRRRoutes(ctx context.Context, family int) (map[netip.Prefix][]netip.Addr, error) {
	paths, err := l.FRRPaths(ctx, family)
	if err != nil {
		return nil, err
	}
	return nextHops(paths, func(p Path) bool { return p.Best || p.Multipath }), nil
}

type frrNeighbor struct {
	RemoteAS      uint32 `json:"remoteAs"`
	State         string `json:"bgpState"`
	UpMsec        int64  `json:"bgpTimerUpMsec"`
	HoldMsecs     int64  `json:"bgpTimerHoldTimeMsecs"`
	KeepaliveMsec int64  `json:"bgpTimerKeepAliveIntervalMsecs"`
	Established   int    `json:"connectionsEstablished"`
	Dropped       int    `json:"connectionsDropped"`
	LastReset     string `json:"lastResetDueTo"`
	AFI           map[string]struct {
		Accepted int `json:"acceptedPrefixCounter"`
	} `json:"addressFamilyInfo"`
}

// FRRNeighbors returns the FRR router's BGP sessions with the nodes, by
// node address.
func (l *Lab) FRRNeighbors(ctx context.Context) (map[netip.Addr]Neighbor, error) {
	out, err := l.Vtysh(ctx, "show bgp neighbors json")
	if err != nil {
		return nil, err
	}
	return parseFRRNeighbors(out, time.Now())
}

func parseFRRNeighbors(out []byte, now time.Time) (map[netip.Addr]Neighbor, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("parse FRR neighbors: %w", err)
	}
	nbrs := map[netip.Addr]Neighbor{}
	for key, msg := range raw {
		addr, err := netip.ParseAddr(key)
		if err != nil {
			continue // not a neighbour, e.g. a peer group
		}
		var fn frrNeighbor
		if err := json.Unmarshal(msg, &fn); err != nil {
			return nil, fmt.Errorf("parse FRR neighbor %s: %w", key, err)
		}
		n := Neighbor{
			Addr: addr, State: fn.State, RemoteAS: fn.RemoteAS,
			HoldTime:      time.Duration(fn.HoldMsecs) * time.Millisecond,
			KeepaliveTime: time.Duration(fn.KeepaliveMsec) * time.Millisecond,
			Established:   fn.Established, Dropped: fn.Dropped, LastReset: fn.LastReset,
			Prefixes: map[int]int{4: fn.AFI["ipv4Unicast"].Accepted, 6: fn.AFI["ipv6Unicast"].Accepted},
		}
		if fn.State == "Established" {
			n.Since = now.Add(-time.Duration(fn.UpMsec) * time.Millisecond)
		}
		nbrs[addr] = n
	}
	return nbrs, nil
}

func afiName(family int) (string, error) {
	switch family {
	case 4:
		return "ipv4", nil
	case 6:
		return "ipv6", nil
	}
	return "", fmt.Errorf("family %d: want 4 or 6", family)
}
