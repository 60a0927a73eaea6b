//go:build linux

package lab

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// restoreLANRoutes puts back the routes of node i that go over its LAN
// link: the kernel deletes a link's routes when it goes down and does not
// restore them when it comes back, as a node's network manager would. Left
// out, a node whose link flapped could no longer forward to the other
// nodes' pods, and every later test through it would measure that.
func (l *Lab) restoreLANRoutes(i int) error {
	routes := []struct {
		dst netip.Prefix
		gw  netip.Addr
	}{
		{netip.PrefixFrom(netip.IPv4Unspecified(), 0), RouterAddr(4)},
		{netip.PrefixFrom(netip.IPv6Unspecified(), 0), RouterAddr(6)},
	}
	for j := 1; j <= l.opts.nodes(); j++ {
		if j == i {
			continue
		}
		for _, f := range []int{4, 6} {
			routes = append(routes, struct {
				dst netip.Prefix
				gw  netip.Addr
			}{PodPrefix(j, f), NodeAddr(j, f)})
		}
	}
	return l.withLinks(NodeName(i), func(nl *netlink.Handle) error {
		for _, r := range routes {
			if err := nl.RouteReplace(&netlink.Route{Dst: ipNet(r.dst), Gw: net.IP(r.gw.AsSlice())}); err != nil {
				return fmt.Errorf("restore route %s via %s in %s: %w", r.dst, r.gw, NodeName(i), err)
			}
		}
		return nil
	})
}
