package layer2

import (
	"net"
	"net/netip"
	"path"
	"slices"
)

// Link is what the interface choice needs to know about one network link.
type Link struct {
	Name  string
	Index int
	// Up is true when the link is administratively up and operationally
	// up or unknown (IFF_UP and IFF_RUNNING): a link without carrier
	// cannot deliver a neighbour its answer.
	Up       bool
	Loopback bool
	// Enslaved is true for a link with a master: a bridge port, a bond
	// member, a VRF member. The master is the link that answers.
	Enslaved bool
	// Kind is the rtnetlink kind ("veth", "bridge", "vxlan", ...); "device"
	// for a physical NIC, which has none.
	Kind     string
	MAC      net.HardwareAddr
	Prefixes []netip.Prefix
}

// virtualKinds are the link kinds that never carry a node's LAN unless
// the user names them: overlays and tunnels (their neighbours are not on
// the LAN), dummies (kube-ipvs0 holds every Service IP under IPVS), and
// devices without an Ethernet neighbour at all. veth, bridge, bond,
// macvlan, vlan and openvswitch stay allowed: a node's LAN link is often a
// bridge (br0 on homelabs), an OVS internal port (br-ex), or, in the test
// lab, a veth.
var virtualKinds = map[string]bool{
	"dummy": true, "ifb": true, "nlmon": true, "vrf": true,
	"vxlan": true, "geneve": true, "bareudp": true, "gtp": true,
	"ipip": true, "sit": true, "ip6tnl": true,
	"gre": true, "gretap": true, "ip6gre": true, "ip6gretap": true,
	"erspan": true, "ip6erspan": true,
	"vti": true, "vti6": true, "xfrm": true,
	"tuntap": true, "tun": true, "wireguard": true,
}

// Select returns, sorted, the names of the links an announcement uses.
//
// With patterns (names or path.Match globs; a malformed glob matches
// nothing), it is the up, non-loopback links matching any of them: a user
// who names a link gets it, even a bridge port or a tunnel.
//
// Without, it is the up links that carry one of nodeSubnets (some address
// of the link falls in the node's InternalIP subnet), that are not
// loopback, not enslaved, and not of a virtual kind (see virtualKinds).
func Select(links []Link, patterns []string, nodeSubnets []netip.Prefix) []string {
	var names []string
	for _, l := range links {
		if !l.Up || l.Loopback {
			continue
		}
		if len(patterns) > 0 {
			if matchAny(patterns, l.Name) {
				names = append(names, l.Name)
			}
			continue
		}
		if l.Enslaved || virtualKinds[l.Kind] {
			continue
		}
		if carries(l.Prefixes, nodeSubnets) {
			names = append(names, l.Name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// carries reports whether one of the link's addresses overlaps one of the
// subnets. Overlap rather than equality lets the caller pass the node's
// subnet or just its address as a /32 or /128.
func carries(prefixes, subnets []netip.Prefix) bool {
	for _, p := range prefixes {
		for _, s := range subnets {
			if s.IsValid() && p.IsValid() && s.Overlaps(p.Masked()) {
				return true
			}
		}
	}
	return false
}
