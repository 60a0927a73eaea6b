//go:build linux

package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Path is one BGP path a router holds for a prefix.
type Path struct {
	// NextHop is the path's next hop; for IPv6, the global one when the
	// node sent a global and a link-local address.
	NextHop netip.Addr
	// Peer is the neighbour that sent the path.
	Peer netip.Addr
	// Best is the router's best path. Multipath (FRR only) marks the paths
	// that form the ECMP route with it.
	Best, Multipath bool
	ASPath          []uint32
	// LocalPref is the LOCAL_PREF attribute, 0 when the path has none (as
	// on eBGP).
	LocalPref uint32
	// Communities are "ASN:value" and LargeCommunities "ASN:a:b", the form
	// an ironlb BGPAnnouncement uses. Well-known communities are spelt the
	// way the router prints them.
	Communities, LargeCommunities []string
}

// Neighbor is a router's view of one BGP session with a node. Both routers
// accept nodes through dynamic neighbours, which they delete when a session
// ends, so a node that is not connected is absent rather than Idle.
type Neighbor struct {
	Addr     netip.Addr
	State    string // as the router prints it: "Established", "Active", "OpenSent", …
	RemoteAS uint32
	// Since is when the session reached its current state (FRR: only
	// when established).
	Since time.Time
	// Prefixes received and accepted, per family (4, 6).
	Prefixes map[int]int
	// HoldTime and KeepaliveTime are the negotiated timers.
	HoldTime, KeepaliveTime time.Duration
	// FRR only: sessions established and dropped with this address since
	// the neighbour was created, and why it last reset.
	Established, Dropped int
	LastReset            string
	// Name is BIRD's name of the dynamic protocol (peer4_1, …).
	Name string
}

// KernelRoutes returns the main routing table of a lab namespace: each
// destination with the gateways of its next hops, a multipath route's
// flattened. Directly connected routes have no gateways.
func (l *Lab) KernelRoutes(ns string, family int) (map[netip.Prefix][]netip.Addr, error) {
	fam, err := nlFamily(family)
	if err != nil {
		return nil, err
	}
	var routes []netlink.Route
	err = l.withLinks(ns, func(nl *netlink.Handle) error {
		filter := &netlink.Route{Table: unix.RT_TABLE_MAIN}
		// A dump that races a route change is interrupted; try again.
		for range 5 {
			routes, err = nl.RouteListFiltered(fam, filter, netlink.RT_FILTER_TABLE)
			if !errors.Is(err, netlink.ErrDumpInterrupted) {
				break
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("kernel routes: %w", err)
	}
	out := map[netip.Prefix][]netip.Addr{}
	for _, r := range routes {
		if r.Dst == nil || r.Type != unix.RTN_UNICAST {
			continue
		}
		dst, ok := prefixOf(r.Dst.IP, r.Dst.Mask)
		if !ok {
			continue
		}
		gws := out[dst]
		gws = appendGW(gws, r.Gw, r.Via)
		for _, nh := range r.MultiPath {
			gws = appendGW(gws, nh.Gw, nh.Via)
		}
		slices.SortFunc(gws, netip.Addr.Compare)
		out[dst] = slices.Compact(gws)
	}
	return out, nil
}

func appendGW(gws []netip.Addr, gw []byte, via netlink.Destination) []netip.Addr {
	if a, ok := netip.AddrFromSlice(gw); ok {
		return append(gws, a.Unmap())
	}
	if v, ok := via.(*netlink.Via); ok {
		if a, ok := netip.AddrFromSlice(v.Addr); ok {
			return append(gws, a.Unmap())
		}
	}
	return gws
}

func nlFamily(family int) (int, error) {
	switch family {
	case 4:
		return netlink.FAMILY_V4, nil
	case 6:
		return netlink.FAMILY_V6, nil
	}
	return 0, fmt.Errorf("family %d: want 4 or 6", family)
}

// nextHops returns the next hops of the paths a router installs: the best
// path and those that share ECMP with it.
func nextHops(paths map[netip.Prefix][]Path, ecmp func(Path) bool) map[netip.Prefix][]netip.Addr {
	out := map[netip.Prefix][]netip.Addr{}
	for p, ps := range paths {
		var hops []netip.Addr
		for _, path := range ps {
			if ecmp(path) && path.NextHop.IsValid() {
				hops = append(hops, path.NextHop)
			}
		}
		if len(hops) > 0 {
			slices.SortFunc(hops, netip.Addr.Compare)
			out[p] = slices.Compact(hops)
		}
	}
	return out
}
